// db4e's page: the console's Snapshot, drawn for a phone or a desk. Read-only. Served by the
// service (it polls api/snapshot) or exported as a static site (data/site.js holds the data).
// Every name from a miner goes into the page as text, never as HTML.
"use strict";

(function () {
  const RANGES = [7, 30, 90, 365];
  const POLL_MS = 10000;
  const site = window.DB4E_SITE || null; // the static site's data, by range
  let days = 30;
  let charts = {};
  let last = null; // the last snapshot drawn
  let failedSince = null;

  const $ = (id) => document.getElementById(id);
  const text = (id, s) => { $(id).textContent = s; };

  function hashrate(v) {
    if (!(v > 0)) return "–";
    if (v >= 1e9) return (v / 1e9).toFixed(2) + " GH/s";
    if (v >= 1e6) return (v / 1e6).toFixed(2) + " MH/s";
    if (v >= 1e3) return (v / 1e3).toFixed(2) + " kH/s";
    return v.toFixed(0) + " H/s";
  }

  function duration(s) {
    if (!(s >= 0)) return "–";
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + "d" + String(h).padStart(2, "0") + "h";
    if (h > 0) return h + "h" + String(m).padStart(2, "0") + "m";
    if (m > 0) return m + "m";
    return Math.floor(s) + "s";
  }

  function ago(now, t) {
    if (!t || t.startsWith("0001-")) return "never";
    const s = (Date.parse(now) - Date.parse(t)) / 1000;
    return s < 0 ? "now" : duration(s) + " ago";
  }

  // figure shows an estimate, or "–" and why there is none.
  function figure(id, f, fmt) {
    const el = $(id);
    if (!f || f.why) {
      el.textContent = "–";
      el.title = f && f.why ? f.why : "";
      return false;
    }
    el.textContent = fmt(f.value);
    el.title = "";
    return true;
  }

  const xmr = (pico) => (pico / 1e12).toFixed(6) + " XMR";

  function drawFigures(s) {
    const e = s.earnings || {};
    text("f-today", (e.today_shares || 0) + " shares");
    text("f-usual", e.daily_average && !e.daily_average.why ? "usual " + e.daily_average.value.toFixed(1) + " a day" : (e.daily_average && e.daily_average.why) || "");
    text("f-last", ago(s.now, e.last_share));
    figure("f-hashrate", e.hashrate, hashrate);
    text("f-hashrate24", e.hashrate_24h && !e.hashrate_24h.why ? "24 h: " + hashrate(e.hashrate_24h.value) : "");
    if (figure("f-window", e.window_shares, (v) => v + " of our shares")) {
      text("f-window-span", "in " + (e.window_blocks && !e.window_blocks.why ? e.window_blocks.value + " blocks" : "the window") +
        (e.window_seconds && !e.window_seconds.why ? " (" + duration(e.window_seconds.value) + ")" : ""));
    } else {
      text("f-window-span", e.window_shares ? e.window_shares.why || "" : "");
    }
    figure("f-effort", e.effort, (v) => v.toFixed(0) + "%");
    text("f-effort-avg", e.average_effort && !e.average_effort.why ? "average " + e.average_effort.value.toFixed(0) + "%" : "");
    figure("f-next", e.time_to_share, (v) => "in ~" + duration(v));
    if (figure("f-perday", e.per_day, (v) => "~" + xmr(v) + " a day")) {
      text("f-perblock", e.per_block && !e.per_block.why ? xmr(e.per_block.value) + " per pool block" : "");
    } else {
      text("f-perblock", e.per_day ? e.per_day.why || "" : "");
    }
    const t = s.today || {};
    text("f-paid", (parseFloat(t.xmr) || 0).toFixed(6) + " XMR");
    text("f-claimed", t.claimed_xmr && t.claimed_xmr !== t.xmr ? (parseFloat(t.claimed_xmr) || 0).toFixed(6) + " claimed by P2Pool" : "confirmed by monerod");
    const pc = s.payout_check || {};
    text("f-payouts", !pc.enabled ? "not checked" : pc.problem ? "unchecked" : pc.checked ? "checked" : "not yet");
    $("f-payouts").className = pc.enabled && !pc.problem && !pc.wallet_problem ? "" : "warn";
    text("f-payouts-why", pc.summary || "");
    text("f-miners", (e.miners_up || 0) + " up · " + (e.miners_stale || 0) + " stale · " + (e.miners_down || 0) + " down");
    const n = s.node || {};
    const node = (s.components || []).find((c) => c.name === "monerod");
    if (node && !node.up) text("f-node", "down: " + (node.reason || ""));
    else if (n.height) text("f-node", (n.synchronized ? "synced" : "syncing") + " at " + n.height);
    else text("f-node", node ? "not asked yet" : "not watched (monerod.rpc)");
  }

  function drawState(s) {
    const bad = (s.components || []).filter((c) => !c.up);
    const alerts = s.alerts || [];
    const state = $("farm-state");
    state.className = "state " + (bad.length || alerts.length ? "bad" : "ok");
    state.textContent = bad.length || alerts.length ? (bad.length + alerts.length) + " problem" + (bad.length + alerts.length > 1 ? "s" : "") : "all well";
    const p = $("problems");
    p.replaceChildren();
    for (const c of bad) {
      const div = document.createElement("div");
      div.textContent = c.name + ": " + (c.reason || "down");
      p.appendChild(div);
    }
    for (const a of alerts) {
      const div = document.createElement("div");
      div.textContent = "ALERT " + a.rule + " " + a.target + (a.detail ? ": " + a.detail : "");
      p.appendChild(div);
    }
    p.hidden = p.childElementCount === 0;
  }

  function drawMiners(s) {
    const body = $("miners").tBodies[0];
    body.replaceChildren();
    for (const m of s.miners || []) {
      const tr = document.createElement("tr");
      const cells = [m.host, m.state, String(m.shares_today), ago(s.now, m.last_share), hashrate(m.hashrate), m.effort ? m.effort.toFixed(0) + "%" : "–"];
      cells.forEach((c, i) => {
        const td = document.createElement("td");
        if (i === 1) {
          const span = document.createElement("span");
          span.className = "state " + c;
          span.textContent = c;
          td.appendChild(span);
        } else {
          td.textContent = c;
        }
        if (i >= 2) td.className = "num";
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
  }

  function drawLists(s) {
    const al = $("alerts");
    al.replaceChildren();
    for (const a of s.alerts || []) {
      const li = document.createElement("li");
      li.textContent = a.rule + " · " + a.target + " · since " + ago(s.now, a.since).replace(" ago", "") + (a.detail ? " · " + a.detail : "");
      al.appendChild(li);
    }
    if (!al.childElementCount) {
      const li = document.createElement("li");
      li.textContent = "none open";
      al.appendChild(li);
    }
    const cl = $("components");
    cl.replaceChildren();
    for (const c of s.components || []) {
      const li = document.createElement("li");
      const span = document.createElement("span");
      span.className = "state " + (c.up ? "ok" : "bad");
      span.textContent = c.up ? "up" : "down";
      li.append(span, " " + c.name + (c.reason ? ": " + c.reason : ""));
      cl.appendChild(li);
    }
  }

  const PALETTE = ["#4e9af1", "#3fb950", "#d29922", "#f85149", "#a371f7", "#39c5cf", "#f778ba", "#8b949e"];

  // chart draws series over the days with uPlot, or redraws it in place with new data.
  function chart(id, series, data, bars, fmt) {
    const el = $(id);
    const width = Math.max(200, el.clientWidth);
    const key = id + ":" + series.map((s) => s.label).join(",");
    if (charts[id] && charts[id].key === key) {
      charts[id].plot.setData(data);
      return;
    }
    if (charts[id]) charts[id].plot.destroy();
    const opts = {
      width, height: 200,
      legend: { show: series.length > 1 },
      cursor: { points: { show: false } },
      // Half a day either side, so the first and last days' bars are whole.
      scales: { x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: "#8a94a3", grid: { stroke: "#2b323c40" } },
        { stroke: "#8a94a3", grid: { stroke: "#2b323c40" }, size: 60, values: fmt ? (u, vals) => vals.map(fmt) : undefined }],
      series: [{}].concat(series.map((s, i) => ({
        label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2,
        fill: bars ? PALETTE[i % PALETTE.length] + "99" : undefined,
        paths: bars && uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined,
        points: { show: false },
      }))),
    };
    charts[id] = { key, plot: new uPlot(opts, data, el) };
  }

  function drawCharts(s) {
    const ds = s.days || [];
    const x = ds.map((d) => Date.parse(d.date + "T00:00:00Z") / 1000);
    chart("c-shares", [{ label: "shares" }], [x, ds.map((d) => d.shares)], true);
    chart("c-blocks", [{ label: "blocks" }], [x, ds.map((d) => d.blocks)], true);
    // What counts is what monerod confirmed; what P2Pool claimed beside it.
    // The claimed bar behind, the confirmed one in front: what is left of the claimed bar above
    // the confirmed one is not (yet) confirmed.
    chart("c-xmr", [{ label: "claimed" }, { label: "confirmed" }],
      [x, ds.map((d) => parseFloat(d.claimed_xmr) || 0), ds.map((d) => parseFloat(d.xmr) || 0)], true, (v) => v.toFixed(4));
    // The busiest seven miners each, and the rest together: a phone has no room for fifty lines.
    const totals = {};
    for (const d of ds) for (const [h, n] of Object.entries(d.shares_by_host || {})) totals[h] = (totals[h] || 0) + n;
    const hosts = Object.keys(totals).sort((a, b) => totals[b] - totals[a] || (a < b ? -1 : 1));
    const top = hosts.slice(0, 7);
    const series = top.map((h) => ({ label: h }));
    const data = [x].concat(top.map((h) => ds.map((d) => (d.shares_by_host || {})[h] || 0)));
    if (hosts.length > 7) {
      series.push({ label: "the other " + (hosts.length - 7) });
      data.push(ds.map((d) => Object.entries(d.shares_by_host || {}).filter(([h]) => !top.includes(h)).reduce((a, [, n]) => a + n, 0)));
    }
    if (!series.length) {
      series.push({ label: "shares" });
      data.push(ds.map(() => 0));
    }
    chart("c-hosts", series, data, false);
  }

  function draw(s) {
    last = s;
    drawState(s);
    drawFigures(s);
    drawCharts(s);
    drawMiners(s);
    drawLists(s);
    text("updated", (site ? "exported " : "updated ") + new Date(s.now).toLocaleString() + (site ? "" : " · every 10 s"));
  }

  async function load() {
    if (site) {
      if (site[days]) draw(site[days]);
      return;
    }
    try {
      const r = await fetch("api/snapshot?days=" + days, { cache: "no-store" });
      if (!r.ok) throw new Error("the service answered " + r.status + ": " + (await r.text()).trim());
      failedSince = null;
      draw(await r.json());
    } catch (err) {
      failedSince = failedSince || new Date();
      const state = $("farm-state");
      state.className = "state bad";
      state.textContent = "no answer";
      text("updated", "db4e not answering since " + failedSince.toLocaleTimeString() + " (" + err.message + ")" +
        (last ? "; figures as of " + new Date(last.now).toLocaleString() : ""));
    }
  }

  for (const b of document.querySelectorAll(".range button")) {
    if (site && !site[b.dataset.days]) b.hidden = true;
    b.addEventListener("click", () => {
      days = Number(b.dataset.days);
      for (const o of document.querySelectorAll(".range button")) o.classList.toggle("on", o === b);
      load();
    });
  }
  let resizing;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const id of Object.keys(charts)) {
        const el = $(id);
        charts[id].plot.setSize({ width: Math.max(200, el.clientWidth), height: 200 });
      }
    }, 150);
  });
  if (!RANGES.includes(days)) days = 30;
  load();
  if (!site) setInterval(load, POLL_MS);
})();
