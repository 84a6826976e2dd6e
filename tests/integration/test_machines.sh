#!/usr/bin/env bash
# mlbox machines, end to end through the binary: filters, sorting, --json, usage errors.
set -euo pipefail
: "${MLBOX:?MLBOX must point at the mlbox binary}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MLBOX_HOME="$work/home"  # no price cache: the embedded table's figures
fail() { echo "FAIL: $*" >&2; exit 1; }

# Human table: header, only T4 rows in us-east-1, cheapest first.
timeout 20 "$MLBOX" machines --gpu T4 --cloud aws --region us-east-1 >"$work/t4.txt" 2>"$work/t4.err"
head -1 "$work/t4.txt" | grep -q '^MACHINE  *CLOUD  *GPU  *VCPU  *MEMORY  *ON-DEMAND/H  *SPOT/H  *REGION$' \
  || fail "table header: $(head -1 "$work/t4.txt")"
sed -n 2p "$work/t4.txt" | grep -q '^g4dn.xlarge  *aws  *T4 x1  *4  *16 GiB  *\$0.526 ' \
  || fail "cheapest T4 row: $(sed -n 2p "$work/t4.txt")"
tail -n +2 "$work/t4.txt" | awk '$3 != "T4" || $NF != "us-east-1" { bad = 1 } END { exit bad }' \
  || fail "rows outside the filter: $(cat "$work/t4.txt")"
grep -q 'list prices as of' "$work/t4.err" || fail "price date note missing on stderr"

# Columns are aligned: every line puts REGION at the same offset.
awk '{ print index($0, $NF) }' "$work/t4.txt" | sort -u | wc -l | grep -qx 1 \
  || fail "columns not aligned: $(cat "$work/t4.txt")"

# --json: one JSON array on stdout; every row honours the filters; sorted by spot price.
timeout 20 "$MLBOX" machines --spot --max-price 1.0 --json >"$work/spot.json"
python3 - "$work/spot.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert isinstance(rows, list) and rows, rows
prices = [r["spot_usd_per_hour"] for r in rows]
assert all(p is not None and p <= 1.0 for p in prices), prices
assert prices == sorted(prices), prices
for key in ("machine", "cloud", "gpu", "gpu_count", "vcpu", "memory_gib", "region",
            "on_demand_usd_per_hour"):
    assert all(key in r for r in rows), key
assert {r["cloud"] for r in rows} == {"aws", "gcp"}, {r["cloud"] for r in rows}
PY

# GCP rows carry the Vertex accelerator enum name; the global --json also works before the
# subcommand.
timeout 20 "$MLBOX" --json machines --cloud gcp --gpu L4 --region europe-west4 >"$work/l4.json"
python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows and all(r["accelerator_type"] == "NVIDIA_L4" and r["region"] == "europe-west4" for r in rows), rows
assert rows[0]["machine"] == "g2-standard-4", rows[0]
' "$work/l4.json"

# Nothing matches: an empty array, exit 0.
timeout 20 "$MLBOX" machines --gpu H100 --max-price 1 --json >"$work/none.json"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == []' "$work/none.json"

# Usage errors exit 2: bad --cloud, unknown GPU (with a suggestion), region of another cloud.
set +e
"$MLBOX" machines --cloud azure >/dev/null 2>"$work/e1"; rc1=$?
"$MLBOX" machines --gpu A10 >/dev/null 2>"$work/e2"; rc2=$?
"$MLBOX" machines --cloud gcp --region us-east-1 >/dev/null 2>"$work/e3"; rc3=$?
"$MLBOX" machines --max-price -1 >/dev/null 2>"$work/e4"; rc4=$?
set -e
[ "$rc1" -eq 2 ] || fail "bad --cloud exit $rc1: $(cat "$work/e1")"
[ "$rc2" -eq 2 ] || fail "unknown GPU exit $rc2: $(cat "$work/e2")"
grep -q "unknown GPU 'A10'" "$work/e2" || fail "unknown GPU message: $(cat "$work/e2")"
[ "$rc3" -eq 2 ] || fail "foreign region exit $rc3: $(cat "$work/e3")"
grep -q "unknown gcp region 'us-east-1'; known: africa-south1, .*europe-west4, .*us-central1" "$work/e3" ||
  fail "region message: $(cat "$work/e3")"

# Every region a cloud sells the GPUs in (issue 14, trap 8): eu-west-1 has T4s on AWS, at the
# reference price marked "~"; the default listing keeps to the compiled prices.
timeout 20 "$MLBOX" machines --gpu T4 --cloud aws --region eu-west-1 >"$work/eu.txt" 2>/dev/null
sed -n 2p "$work/eu.txt" | grep -q '^g4dn.xlarge  *aws  *T4 x1 .* ~\$0.526 .*eu-west-1$' ||
  fail "eu-west-1 T4 row: $(cat "$work/eu.txt")"
timeout 20 "$MLBOX" machines --json >"$work/all.json"
python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows and not any(r["price_estimated"] for r in rows), "estimated rows in the default listing"
assert all(r["gpu_count"] > 0 for r in rows), "CPU-only rows without --cpu"
' "$work/all.json"
# CPU-only families with --cpu.
timeout 20 "$MLBOX" machines --cpu --cloud gcp --region us-central1 >"$work/cpu.txt" 2>/dev/null
grep -q '^n2-standard-8  *gcp  *-  *8  *32 GiB' "$work/cpu.txt" || fail "n2-standard-8 row: $(cat "$work/cpu.txt")"
[ "$rc4" -eq 2 ] || fail "negative --max-price exit $rc4"

echo "test_machines: ok"
