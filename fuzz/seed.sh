#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>, ignored by git) from the
# project's own test cases, fixtures and examples. Run from anywhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz/corpus"
mkdir -p "$corpus/rules" "$corpus/csv" "$corpus/json" "$corpus/eval"

# rules: every rule file of the project, as is.
while IFS= read -r -d '' f; do
    name="$(echo "${f#"$root"/}" | tr '/' '_')"
    cp "$f" "$corpus/rules/$name"
done < <(find "$root/tests/cases" "$root/rules" "$root/tests/fixtures" "$root/fuzz/rules" \
    -name '*.rules' -print0)

# csv and json: the first byte of an input picks the options (see the
# targets); 0x08 is "CSV, delimiter sniffed, UTF-8", 0x02 "JSON, detected".
prefix() { # byte file out
    { printf "\\x$1"; head -c 65536 "$2"; } >"$3"
}
while IFS= read -r -d '' f; do
    name="$(echo "${f#"$root"/}" | tr '/' '_')"
    case "$f" in
        *.json | *.ndjson | *.jsonl)
            prefix 02 "$f" "$corpus/json/$name"
            prefix 01 "$f" "$corpus/json/$name.nd"
            ;;
        *)
            prefix 08 "$f" "$corpus/csv/$name"
            prefix 11 "$f" "$corpus/csv/$name.tsv"
            ;;
    esac
    # Structured bytes make a start for the eval target too.
    head -c 4096 "$f" >"$corpus/eval/$name"
done < <(find "$root/tests/fixtures" "$root/examples" -type f ! -name '*.rules' -print0)

# Inputs whose columns are the fields of fuzz/rules/fields.rules.
header='id,Task Name,Notes,Notes,hours,cost.rate,share,core,remote,due,started,level,kind,region'
printf '\x08%s\nT1,alpha,n1,,12,2,0.5,yes,no,2024-01-31,,medium,expert,emea\nT2,"b ""q""",,x,1e3,,45%%,0,1,,2020-02-29,HIGH,routine,\n' \
    "$header" >"$corpus/csv/fields.csv"
printf '\x0a%s\nT1;a;;;37,5;1;0,5;y;n;2024-01-01;;low;routine;apac\n' \
    "$(echo "$header" | tr ',' ';')" >"$corpus/csv/fields_semicolon.csv"
printf '\x02[{"id":"T1","Task Name":"a","hours":3,"cost":{"rate":2.5},"core":true,"due":"2024-02-29","level":"high","kind":"expert","region":null},\n{"id":"T2","hours":"4","core":"no","kind":"routine","share":"50%%"}]\n' \
    >"$corpus/json/fields.json"
printf '\x01{"id":"T1","hours":1,"core":false,"kind":"routine"}\n{"id":2,"hours":1e400,"core":1,"kind":"x"}\n\n{"id":"T3"\n' \
    >"$corpus/json/fields.ndjson"
printf '\x06{"records":[{"id":"T1","hours":1,"core":false,"kind":"routine"}],"other":[{"a":1}]}\n' \
    >"$corpus/json/fields_records.json"
echo "seeded: $(for t in rules csv json eval; do printf '%s=%s ' "$t" "$(ls "$corpus/$t" | wc -l)"; done)"
