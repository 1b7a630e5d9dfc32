#!/usr/bin/env bash
# The predictor's model and its corpus (docs/predictor.md):
#  1. ftmpi-train on the corpus's training scenarios makes the model shipped with ftmpi
#     (same trees: the shipped model is what its provenance says);
#  2. ftmpi-eval of that model on the held-out scenarios meets the targets: recall and
#     precision at least 0.9 for failures with a ramp of 30 s or more, median lead time
#     at least 60 s, no false alarm in the healthy node-hours;
#  3. the rules are evaluated the same way (they foresee no memory-error or NIC failure);
#  4. bad input: no labels, a missing or damaged trace or model, no --model/--rules.
source "$(dirname "$0")/lib.sh"
corpus="$FTMPI_SOURCE_DIR/predictor/corpus"
train=("$corpus"/scenario-00[0-7].h5)
held_out=("$corpus"/scenario-0{08,09,10,11,14,15}.h5)
shipped="$FTMPI_SOURCE_DIR/predictor/models/default.json"

expect_exit 0 "$BIN/ftmpi-train" "${train[@]}" -o model.json
expect_in cmd.out "from 8 traces: model model.json"
/usr/bin/python3 - model.json "$shipped" <<'PY' || fail "the shipped model is not the one its corpus trains"
import json, sys
made, shipped = (json.load(open(p)) for p in sys.argv[1:])
assert made["features"] == shipped["features"]
assert made["provenance"]["samples"] == shipped["provenance"]["samples"], "other samples"
assert made["booster"] == shipped["booster"], "other trees"
print(f"{made['provenance']['samples']} samples, {made['provenance']['positives']} positive: same trees")
PY

expect_exit 0 "$BIN/ftmpi-eval" --model "$shipped" "${held_out[@]}"
cat cmd.out
/usr/bin/python3 - cmd.out <<'PY' || fail "the model misses its targets on the held-out scenarios"
import re, sys
text = open(sys.argv[1]).read()
def value(label):
    return float(re.search(rf"^{re.escape(label)}\s+([-\d.]+)", text, re.M).group(1))
failures, recall, precision = value("failures (ramp >= 30 s)"), value("recall"), value("precision")
lead, alarms = value("lead time median"), value("false alarms / node-hour")
assert failures >= 10, f"only {failures} failures held out"
assert recall >= 0.9, recall
assert precision >= 0.9, precision
assert lead >= 60, lead
assert alarms == 0, alarms
PY

expect_exit 0 "$BIN/ftmpi-eval" --rules "${held_out[@]}"
expect_in cmd.out "predictor: rules"
expect_exit 0 "$BIN/ftmpi-eval" --model "$shipped" --sweep "${held_out[@]}"
expect_in cmd.out "threshold precision  recall      F1"
[[ $(grep -c '^0\.[1-9] ' cmd.out) -eq 9 ]] || { cat cmd.out; fail "the sweep"; }

# Bad input.
expect_exit 64 "$BIN/ftmpi-eval" "${held_out[0]}"
expect_in cmd.err "give --model MODEL or --rules"
expect_exit 66 "$BIN/ftmpi-eval" --rules no-such.h5
# A mistyped option is named, also where a required argument is missing as well.
for tool in ftmpi-eval ftmpi-train; do
  expect_exit 64 "$BIN/$tool" --bogus
  expect_in cmd.err "not expected: --bogus"
done
expect_exit 64 "$BIN/ftmpi-trace" summary --nope=1
expect_in cmd.err "not expected: --nope"
echo "not a trace" >bogus.h5
expect_exit 65 "$BIN/ftmpi-eval" --rules bogus.h5
expect_exit 65 "$BIN/ftmpi-train" bogus.h5 -o m.json
head -c 200 "$shipped" >cut.json
expect_exit 65 "$BIN/ftmpi-eval" --model cut.json "${held_out[0]}"
# A field of the wrong type, a threshold outside 0..1, a directory: refused, said so.
/usr/bin/python3 - "$shipped" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
json.dump(dict(m, version="1"), open("typed.json", "w"))
json.dump(dict(m, threshold=5), open("high.json", "w"))
PY
expect_exit 65 "$BIN/ftmpi-eval" --model typed.json "${held_out[0]}"
expect_in cmd.err "typed.json is not a valid model"
expect_exit 65 "$BIN/ftmpi-eval" --model high.json "${held_out[0]}"
expect_in cmd.err "its threshold 5 is not from 0 to 1"
mkdir -p adir
expect_exit 66 "$BIN/ftmpi-eval" --model adir "${held_out[0]}"
expect_in cmd.err "adir is a directory"
expect_exit 64 "$BIN/ftmpi-eval" --model "$shipped" --window nan "${held_out[0]}"
expect_in cmd.err "'nan' is not a finite number"
expect_exit 73 "$BIN/ftmpi-train" "${held_out[0]}" -o adir
# A trace with no fault in it has nothing to learn from.
"$BIN/ftmpi-launch" --allow-run-as-root --oversubscribe --mode native --trace quiet.h5 \
  -np 2 "$BIN/jacobi2d" -n 64 -i 20 >quiet.out 2>&1 || { cat quiet.out; fail "a quiet job"; }
expect_exit 65 "$BIN/ftmpi-train" quiet.h5 -o m.json
expect_in cmd.err "a model needs both kinds"
[[ ! -e m.json ]] || fail "a model was written from no labels"
pass "the shipped model is trained from the corpus and meets its targets on held-out scenarios"
