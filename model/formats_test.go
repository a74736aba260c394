package model_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/db4e/db4e/api"
	"github.com/db4e/db4e/model"
)

// docs/FORMATS.md names every field db4e writes for other programs: the event (export
// jsonseq), the report's day (report --json) and a payout (payouts --json). A field added to
// one of them without a word there fails here.
func TestFormatsDocNamesEveryField(t *testing.T) {
	b, err := os.ReadFile("../docs/FORMATS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, v := range []any{model.Event{}, api.ReportDay{}, api.PayoutRow{}, api.PayoutCheck{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("%s.%s (%q) is not in docs/FORMATS.md", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
}
