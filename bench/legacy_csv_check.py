#!/usr/bin/env python3
"""Runs the original db4e's chart-file code (lib/Mining/{BlocksFound,SharesFound,
SharesFoundByHost,P2PoolPayment}Csv.py in NadimGhaznavi/db4e, its last versions before they were
removed) on db4e's events, and compares what it writes with `db4e export csv --legacy`.

  db4e export jsonseq | python3 bench/legacy_csv_check.py DIR

DIR holds db4e's legacy files. The code below is the original's, with MongoDB's documents read
from the JSON sequence instead (timestamps in UTC, as the original stored P2Pool's log time) and
its git push left out. Exit 1 on any difference. The one known difference is the original's
_short.csv under 31 lines: it sliced the last 30 lines of the whole file, header included, so the
header came twice; db4e writes it once, and this check allows exactly that. In
shares_found_by_host.csv (which the original never published) hosts that first found a share on
the same day may stand in another order: db4e's day totals do not keep the hour, so it orders
them by name. That file is compared as a table, column by column.
"""
import datetime, json, os, sys, tempfile
from decimal import Decimal


def events():
    for rec in sys.stdin.read().split("\x1e"):
        rec = rec.strip()
        if rec:
            e = json.loads(rec)
            t = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).replace(tzinfo=None)
            e["timestamp"] = t
            yield e


def short(csv_filename, csv_header):
    short_csv_filename = csv_filename.replace('.csv', '_short.csv')
    with open(short_csv_filename, 'w') as out, open(csv_filename) as full:
        out.write(csv_header)
        for line in full.readlines()[-30:]:
            out.write(line)


def blocks_found(evs, d):  # BlocksFoundCsv.new_blocks_found_csv
    blocks_found_dict = {}
    for event in (e for e in evs if e["kind"] == "block"):
        timestamp = event['timestamp'].strftime("%Y-%m-%d")
        blocks_found_dict[timestamp] = blocks_found_dict.get(timestamp, 0) + 1
    fn = os.path.join(d, "blocks_found.csv")
    with open(fn, 'w') as h:
        h.write("Date,Blocks Found\n")
        for key in sorted(blocks_found_dict):
            h.write(str(key) + "," + str(blocks_found_dict[key]) + "\n")
    short(fn, "Date,Blocks Found\n")


def shares_found(evs, d):  # SharesFoundCsv.new_shares_found_csv
    shares_found_dict = {}
    for event in (e for e in evs if e["kind"] == "share"):
        # The original kept microseconds here; the original's stored times had none.
        timestamp = event['timestamp'].replace(hour=0, minute=0, second=0, microsecond=0)
        shares_found_dict[timestamp] = shares_found_dict.get(timestamp, 0) + 1
    fn = os.path.join(d, "shares_found.csv")
    with open(fn, 'w') as h:
        h.write("Date,Shares Found\n")
        for key in sorted(shares_found_dict):
            h.write(str(key) + "," + str(shares_found_dict[key]) + "\n")
    short(fn, "Date,Shares Found\n")


def shares_found_by_host(evs, d):  # SharesFoundByHostCsv.new_shares_found_by_host_csv
    csv_data, workers = {}, []
    for event in (e for e in evs if e["kind"] == "share"):
        timestamp = event['timestamp'].replace(hour=0, minute=0, second=0, microsecond=0)
        worker = event['host']
        if worker not in workers:
            workers.append(worker)
        csv_data.setdefault(timestamp, {}).setdefault(worker, 0)
        csv_data[timestamp][worker] += 1
    fn = os.path.join(d, "shares_found_by_host.csv")
    header = "Date," + ",".join(workers) + "\n"
    with open(fn, 'w') as h:
        h.write(header)
        for key in sorted(csv_data):
            row = [str(key)] + [str(csv_data[key].get(w, 0)) for w in workers]
            h.write(",".join(row) + "\n")
    short(fn, header)


def payouts(evs, d):  # P2PoolPaymentCsv.new_p2pool_payment_csv
    payouts_list = []
    for payout in (e for e in evs if e["kind"] == "payment"):
        payment = Decimal(payout["piconero"]) / Decimal(10**12)
        payouts_list.append([payout['timestamp'].date(), payment.quantize(Decimal("0.000000000001"))])
    payouts_list.sort()
    if not payouts_list:
        return
    new_dict = {}
    earliest_date = latest_date = payouts_list[0][0]
    for cur_date, cur_amount in payouts_list:
        earliest_date, latest_date = min(earliest_date, cur_date), max(latest_date, cur_date)
        new_dict[cur_date] = new_dict.get(cur_date, 0) + cur_amount
    dates = [earliest_date + datetime.timedelta(days=x) for x in range((latest_date - earliest_date).days + 1)]
    for day in dates:
        new_dict.setdefault(day, 0)
    fn, daily_fn = os.path.join(d, "p2pool_payouts.csv"), os.path.join(d, "p2pool_payouts_daily.csv")
    with open(fn, 'w') as h, open(daily_fn, 'w') as dh:
        h.write("Date,Total\n")
        dh.write("Date,Total\n")
        total = Decimal("0")
        for day in dates:
            total = total + new_dict[day]
            h.write(str(day) + "," + str(round(total, 4)) + "\n")
            dh.write(str(day) + "," + str(new_dict[day]) + "\n")
    short(fn, "Date,Total\n")
    short(daily_fn, "Date,Total\n")


def table(text):
    rows = [line.split(",") for line in text.strip().split("\n")]
    return sorted(zip(*rows))


def main():
    ours = sys.argv[1]
    evs = list(events())
    theirs = tempfile.mkdtemp()
    for write in (blocks_found, shares_found, shares_found_by_host, payouts):
        write(evs, theirs)
    bad = 0
    for name in sorted(os.listdir(theirs)):
        want = open(os.path.join(theirs, name)).read()
        got = open(os.path.join(ours, name)).read()
        lines = want.split("\n")
        if name.endswith("_short.csv") and len(lines) > 1 and lines[0] == lines[1]:
            want = "\n".join(lines[1:])  # the original's doubled header
        same = got == want
        status = "same"
        if not same and name.startswith("shares_found_by_host"):
            same, status = table(got) == table(want), "same table, columns in another order"
        if not same:
            status = "DIFFERENT"
        bad += not same
        print(f"{name:34} {len(got.splitlines()):5} lines  {status}")
        if not same:
            print("--- the original's code:\n" + want + "--- db4e:\n" + got)
    sys.exit(1 if bad else 0)


main()
