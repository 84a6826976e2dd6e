#!/usr/bin/env bash
# Issue 18: `mlbox machines --refresh` reads prices, quotas and spot capacity from the
# clouds' own APIs, through fakes that validate every request against the official models:
# tests/fakes/aws_fake.py (botocore pricing, ec2, service-quotas; SigV4 checked) and
# tests/fakes/billing_fake.py (Cloud Billing Catalog ListSkus from cloud_catalog.proto,
# Compute regions.get, Cloud Quotas ListQuotaInfos from a trimmed cloudquotas.proto; Bearer
# tokens from gcp_oauth_fake.py). Every answer is paged small,
# so NextToken / pageToken are followed. Then: the cache serves `machines` without a
# refresh, `--spot --sort availability`, the fallbacks (no credentials, a refused
# signature: exit 0 with one line), a region no cloud offers (exit 3), and `submit`'s
# estimate and quota refusal before anything is pushed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3  # Debian's, with python3-protobuf/cryptography

# --- fixtures ---------------------------------------------------------------------------
AWS_REGIONS=$(python3 - "$MLBOX_SOURCE_DIR/templates/machines.yaml" <<'PY'
import re, sys
regions, cloud = set(), None
for line in open(sys.argv[1]):
    m = re.match(r"\s+cloud: (\w+)", line)
    if m:
        cloud = m.group(1)
    m = re.match(r"\s+([a-z]+-[a-z]+-\d): \{on_demand", line)
    if m and cloud == "aws":
        regions.add(m.group(1))
print(" ".join(sorted(regions)))
PY
)
EXTRA=()
for r in $AWS_REGIONS; do EXTRA+=(--extra-region "$r"); done
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def product(t, region, usd, os_="Linux"):
    return {"product": {"productFamily": "Compute Instance", "sku": f"{t}-{region}",
                        "attributes": {"instanceType": t, "regionCode": region,
                                       "operatingSystem": os_, "tenancy": "Shared",
                                       "preInstalledSw": "NA", "capacitystatus": "Used"}},
            "serviceCode": "AmazonEC2",
            "terms": {"OnDemand": {f"{t}.JRTCKXETXF": {"priceDimensions": {
                f"{t}.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}}}
products = [
    product("g4dn.xlarge", "us-east-1", "0.6110000000"),
    product("g4dn.xlarge", "us-west-2", "0.6220000000"),
    product("g4dn.xlarge", "us-east-1", "0.9990000000", os_="Windows"),  # filtered out
    product("g5.xlarge", "us-east-1", "1.1110000000"),
    product("g4dn.12xlarge", "us-east-1", "4.4440000000"),
    product("p3.2xlarge", "us-east-1", "3.3330000000"),
    product("g4dn.xlarge", "sa-east-1", "1.0000000000"),  # a region not asked for
    "{\"product\": {broken",                               # not JSON: skipped, counted
    product("g5.2xlarge", "us-east-1", "twelve"),          # not a price: skipped, counted
]
json.dump(products, open(f"{work}/products.json", "w"))
json.dump({"us-east-1": {"g4dn.xlarge": {"us-east-1a": "0.2100", "us-east-1b": "0.1900",
                                         "us-east-1c": "0.2500"},
                         "g5.xlarge": {"us-east-1a": "0.4000"}},
           "us-west-2": {"g4dn.xlarge": {"us-west-2a": "0.3000"}}},
          open(f"{work}/spot.json", "w"))
json.dump({"g4dn.xlarge": {"us-east-1": 8, "us-west-2": 3}, "g5.xlarge": {"us-east-1": 2}},
          open(f"{work}/scores.json", "w"))
# Running now: G on-demand 4 + 16 vCPUs, G spot 8, standard 2 (three pages of 2... one of 1).
json.dump({"us-east-1": [{"type": "g4dn.xlarge", "cores": 2, "threads": 2},
                         {"type": "g5.2xlarge", "spot": True, "cores": 4, "threads": 2},
                         {"type": "m5.large", "cores": 1, "threads": 2},
                         {"type": "g6.4xlarge", "cores": 8, "threads": 2}],
           "us-west-2": [{"type": "p3.2xlarge", "cores": 4, "threads": 2}]},
          open(f"{work}/instances.json", "w"))

def sku(i, desc, group, usage, unit, units, nanos, regions=("us-central1",)):
    return {"name": f"services/6F81-5844-456A/skus/0000-0000-{i:04d}", "skuId": f"0000-0000-{i:04d}",
            "description": desc,
            "category": {"serviceDisplayName": "Compute Engine", "resourceFamily": "Compute",
                         "resourceGroup": group, "usageType": usage},
            "serviceRegions": list(regions),
            "pricingInfo": [{"effectiveTime": "2026-12-01T00:00:00Z", "summary": "",
                             "pricingExpression": {"usageUnit": unit, "displayQuantity": 1,
                                                   "tieredRates": [{"startUsageAmount": 0,
                                                                    "unitPrice": {"currencyCode": "USD", "units": units, "nanos": nanos}}]},
                             "currencyConversionRate": 1}],
            "serviceProviderName": "Google"}
skus = [
    sku(1, "N1 Predefined Instance Core running in Americas", "N1Standard", "OnDemand", "h", "0", 40000000),
    sku(2, "N1 Predefined Instance Ram running in Americas", "N1Standard", "OnDemand", "GiBy.h", "0", 5000000),
    sku(3, "Spot Preemptible N1 Predefined Instance Core running in Americas", "N1Standard", "Preemptible", "h", "0", 10000000),
    sku(4, "Spot Preemptible N1 Predefined Instance Ram running in Americas", "N1Standard", "Preemptible", "GiBy.h", "0", 1000000),
    sku(5, "Nvidia Tesla T4 GPU running in Americas", "GPU", "OnDemand", "h", "0", 400000000),
    sku(6, "Spot Preemptible Nvidia Tesla T4 GPU running in Americas", "GPU", "Preemptible", "h", "0", 150000000),
    sku(7, "Commitment v1: Nvidia Tesla T4 GPU in Americas for 1 Year", "GPU", "Commit1Yr", "h", "0", 200000000),
    sku(8, "Storage PD Capacity", "PDStandard", "OnDemand", "GiBy.mo", "0", 40000000),
    sku(9, "Nvidia Tesla T4 GPU running in Netherlands", "GPU", "OnDemand", "GiBy.h", "0", 1, ("europe-west4",)),  # bad unit: skipped
    sku(10, "G2 Instance Core running in Americas", "CPU", "OnDemand", "h", "0", 25000000),
    sku(11, "G2 Instance Ram running in Americas", "RAM", "OnDemand", "GiBy.h", "0", 3000000),
    sku(12, "Nvidia L4 GPU running in Americas", "GPU", "OnDemand", "h", "0", 560000000),
    sku(13, "Licensing Fee for Windows Server", "License", "OnDemand", "h", "0", 1),
]
json.dump(skus, open(f"{work}/skus.json", "w"))
json.dump({"mlbox-test": {"us-central1": [
    {"metric": "CPUS", "limit": 24, "usage": 0},
    {"metric": "NVIDIA_T4_GPUS", "limit": 4, "usage": 1},
    {"metric": "PREEMPTIBLE_NVIDIA_T4_GPUS", "limit": 0, "usage": 0}]}},
    open(f"{work}/regions.json", "w"))
# mlbox-vq: Compute says T4 4 (used 1), Vertex custom training says 2; the T4 QuotaInfo is on
# the second page (4 a page). mlbox-test has no QuotaInfos: the Cloud Quotas API refuses it.
regions = json.load(open(f"{work}/regions.json"))
regions["mlbox-vq"] = regions["mlbox-test"]
json.dump(regions, open(f"{work}/regions.json", "w"))
def qinfo(metric, per_region, default=None):
    infos = [{"dimensions": {"region": r}, "details": {"value": str(v)},
              "applicableLocations": [r]} for r, v in per_region.items()]
    if default is not None:
        infos.append({"details": {"value": str(default)}, "applicableLocations": ["global"]})
    qid = metric.split("/")[1]
    return {"name": f"projects/mlbox-vq/locations/global/services/aiplatform.googleapis.com/quotaInfos/{qid}",
            "quotaId": qid, "metric": metric, "service": "aiplatform.googleapis.com",
            "containerType": "PROJECT", "dimensions": ["region"], "isPrecise": True,
            "metricDisplayName": qid, "quotaDisplayName": "Custom model training " + qid,
            "metricUnit": "1", "quotaIncreaseEligibility": {"isEligible": True},
            "dimensionsInfos": infos}
A = "aiplatform.googleapis.com/"
json.dump({"mlbox-vq": [
    qinfo(A + "online_prediction_requests_per_base_model", {"us-central1": 600}),
    qinfo(A + "custom_model_training_cpus", {"us-central1": 64}),
    qinfo(A + "custom_model_training_nvidia_l4_gpus", {"europe-west4": 8}, default=0),
    qinfo(A + "custom_model_training_preemptible_nvidia_t4_gpus", {}, default=16),
    qinfo(A + "custom_model_training_nvidia_a100_gpus", {"us-central1": 0}),
    qinfo(A + "custom_model_training_nvidia_t4_gpus", {"us-central1": 2, "europe-west4": 9}, default=1)]},
    open(f"{work}/quota_infos.json", "w"))
PY

# --- fakes --------------------------------------------------------------------------------
start_aws_fake aws pricing,service-quotas,ec2 "${EXTRA[@]}" --pricing-products "$WORK/products.json" \
  --spot-prices "$WORK/spot.json" --spot-scores "$WORK/scores.json" --ec2-page-size 2 \
  --instances "$WORK/instances.json" \
  --quota L-DB2E81BA=64 --quota L-3819A6DF=8 --quota L-417A185B=0 --quota L-C4BD4855=192
$PY "$FAKES/gcp_oauth_fake.py" --port-file "$WORK/oauth.port" --issued "$WORK/issued.jsonl" \
  --metadata-email "vm@mlbox-test.iam.gserviceaccount.com" 2>"$WORK/oauth.log" &
cleanup_hooks+=("kill $!")
$PY "$FAKES/billing_fake.py" --port-file "$WORK/billing.port" --oauth-issued "$WORK/issued.jsonl" \
  --skus "$WORK/skus.json" --regions "$WORK/regions.json" --quota-infos "$WORK/quota_infos.json" \
  --page-size 4 \
  --requests "$WORK/billing.jsonl" 2>"$WORK/billing.log" &
cleanup_hooks+=("kill $!")
for _ in $(seq 600); do [ -s "$WORK/oauth.port" ] && [ -s "$WORK/billing.port" ] && break; sleep 0.1; done
[ -s "$WORK/billing.port" ] || { cat "$WORK/billing.log"; fail "the billing fake did not start"; }
B="http://127.0.0.1:$(cat "$WORK/billing.port")"
METADATA="127.0.0.1:$(cat "$WORK/oauth.port")"

use_test_aws_credentials
export AWS_ENDPOINT_URL_PRICING=$AWS_FAKE_URL AWS_ENDPOINT_URL_EC2=$AWS_FAKE_URL \
  AWS_ENDPOINT_URL_SERVICE_QUOTAS=$AWS_FAKE_URL
export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDBILLING="$B/" CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE="$B/"
export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDQUOTAS="$B/"
export GCE_METADATA_HOST=$METADATA CLOUDSDK_CORE_PROJECT=mlbox-test CLOUDSDK_COMPUTE_REGION=us-central1
export CLOUDSDK_CONFIG="$WORK/gcloud"
unset GOOGLE_APPLICATION_CREDENTIALS
CACHE="$MLBOX_HOME/prices/machines.json"

# The fakes refuse what the models do not allow (so they cannot pass a wrong client).
curl -s -o "$WORK/bad" -w '%{http_code}' "$B/v1/services/6F81-5844-456A/skus?page_size=2" \
  -H "Authorization: Bearer nope" | grep -qx 401 || fail "billing fake took a bad token"
TOKEN=$(curl -s -H 'Metadata-Flavor: Google' \
  "http://$METADATA/computeMetadata/v1/instance/service-accounts/default/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
[ "$(curl -s -o "$WORK/bad" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  "$B/v1/services/6F81-5844-456A/skus?page_size=2")" = 400 ] || fail "billing fake took page_size"
grep -q 'Unknown name \\"page_size\\"' "$WORK/bad" || fail "billing fake error: $(cat "$WORK/bad")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  "$B/v1/services/6F81-5844-456A/skus?pageSize=9000")" = 400 ] || fail "billing fake took pageSize 9000"
QI="$B/v1/projects/mlbox-vq/locations/global/services/aiplatform.googleapis.com/quotaInfos"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$QI?pageSize=2")" = 401 ] ||
  fail "cloudquotas fake answered without a token"
[ "$(curl -s -o "$WORK/bad" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$QI?page_size=2")" = 400 ] ||
  fail "cloudquotas fake took page_size"
grep -q 'Unknown name \\"page_size\\"' "$WORK/bad" || fail "cloudquotas fake error: $(cat "$WORK/bad")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$QI?pageToken=zz")" = 400 ] ||
  fail "cloudquotas fake took an unknown pageToken"
echo '{"p": [{"metric": "m", "dimensionsInfos": [{"details": {"value": "x"}}]}]}' >"$WORK/bad_qi.json"
if timeout 30 $PY "$FAKES/billing_fake.py" --oauth-issued "$WORK/issued.jsonl" --skus "$WORK/skus.json" \
  --quota-infos "$WORK/bad_qi.json" --port-file "$WORK/never.port" 2>"$WORK/bad_qi.log"; then
  fail "cloudquotas fake started with a QuotaInfo the API could not send"
fi
grep -q "is not a google.api.cloudquotas.v1.QuotaInfo" "$WORK/bad_qi.log" || fail "$(cat "$WORK/bad_qi.log")"
set +e
aws --endpoint-url "$AWS_FAKE_URL" ec2 describe-spot-price-history --instance-types g4dn.huge \
  >/dev/null 2>"$WORK/stderr"
rc=$?
set -e
[ "$rc" -ne 0 ] && grep -q "InvalidParameterValue.*'g4dn.huge' is not one of" "$WORK/stderr" ||
  fail "ec2 fake took a bad instance type: $(cat "$WORK/stderr")"
expect_rc 0 aws --endpoint-url "$AWS_FAKE_URL" ec2 describe-spot-price-history --instance-types g4dn.xlarge
pass "the fakes refuse bad tokens, unknown parameters, values outside the models; botocore is accepted"

# --- the refresh --------------------------------------------------------------------------
: >"$AWS_FAKE_LOG"
expect_rc 0 timeout 120 "$MLBOX" machines --refresh --gpu T4 --region us-east-1
cp "$WORK/stdout" "$WORK/refresh.txt"
cp "$WORK/stderr" "$WORK/refresh.err"
grep -q '^g4dn.xlarge  *aws  *T4 x1  *4  *16 GiB  *\$0.611  *\$0.190  *64 vCPU  *20  *us-east-1$' "$WORK/refresh.txt" ||
  { cat "$WORK/refresh.txt" "$WORK/refresh.err"; fail "live g4dn.xlarge row"; }
grep -q '^g4dn.12xlarge .* \$4.444 ' "$WORK/refresh.txt" || fail "g4dn.12xlarge row: $(cat "$WORK/refresh.txt")"
# A type the price API had nothing for keeps its embedded price, marked "*".
grep -q '^g4dn.2xlarge .* \*\$0.752 ' "$WORK/refresh.txt" || fail "embedded row not marked: $(cat "$WORK/refresh.txt")"
grep -q "AWS quotas in us-east-1 not read: L-7212CCBC (NoSuchResourceException)" "$WORK/refresh.err" ||
  fail "unread quotas not named: $(cat "$WORK/refresh.err")"
grep -q "2 price document(s) could not be read and were skipped" "$WORK/refresh.err" ||
  fail "skipped documents not counted: $(cat "$WORK/refresh.err")"
grep -q "aws: fetched 20..-..-..T" "$WORK/refresh.err" || fail "price note: $(cat "$WORK/refresh.err")"
[ -s "$CACHE" ] || fail "no cache at $CACHE"
# Only the region asked for; pages followed; nothing refused.
[ "$(fake_log_count 'e.get("operation") == "GetProducts" and e["input"].get("NextToken")')" -ge 1 ] ||
  fail "GetProducts NextToken not followed"
[ "$(fake_log_count 'e.get("operation") == "DescribeSpotPriceHistory" and e["input"].get("NextToken")')" -ge 1 ] ||
  fail "DescribeSpotPriceHistory nextToken not followed"
[ "$(fake_log_count 'e.get("operation") == "GetServiceQuota" and e.get("input", {}).get("QuotaCode") == "L-DB2E81BA"')" = 1 ] ||
  fail "GetServiceQuota L-DB2E81BA"
[ "$(fake_log_count 'e.get("operation") == "GetSpotPlacementScores"')" -ge 1 ] || fail "no GetSpotPlacementScores"
[ "$(fake_log_count 'e.get("operation") == "DescribeInstances" and e["input"].get("NextToken")')" -ge 1 ] ||
  fail "DescribeInstances nextToken not followed"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { grep rejected "$AWS_FAKE_LOG"; fail "the AWS fake rejected requests"; }
pass "refresh --region us-east-1: live on-demand \$0.611, cheapest zone spot \$0.190, quota 64 vCPU with 20 used (running G instances), 2 bad documents counted"

expect_rc 0 timeout 120 "$MLBOX" machines --refresh --cloud gcp --gpu T4 --region us-central1 --json
cp "$WORK/stderr" "$WORK/refresh_gcp.stderr"
python3 - "$WORK/stdout" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
row = next(r for r in rows if r["machine"] == "n1-standard-8")
want = 8 * 0.04 + 30 * 0.005 + 0.40
assert abs(row["on_demand_usd_per_hour"] - want) < 1e-6, (row, want)
assert abs(row["spot_usd_per_hour"] - (8 * 0.01 + 30 * 0.001 + 0.15)) < 1e-6, row
assert row["price_source"] == "live", row
assert row["quota"]["code"] == "NVIDIA_T4_GPUS" and row["quota"]["limit"] == 4 and row["quota"]["used"] == 1, row
PY
grep -q "1 price document(s) could not be read" "$WORK/stderr" || fail "bad SKU not counted: $(cat "$WORK/stderr")"
python3 - "$WORK/billing.jsonl" <<'PY'
import json, sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1])]
skus = [p for p in paths if "/skus" in p]
assert len(skus) >= 4 and any("pageToken=p4" in p for p in skus), skus   # 13 SKUs, 4 a page
assert any(p.endswith("/regions/us-central1") for p in paths), paths
PY
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["aws"]["source"].startswith("AWS Price List API") and c["gcp"]["source"].startswith("Cloud Billing"), c.keys()
assert any(p["machine"] == "g4dn.xlarge" and p["region"] == "us-east-1" for p in c["aws"]["prices"])
p5 = [q for q in c["aws"]["quotas"] if q["code"] == "L-C4BD4855"]  # All P5 Spot Instance Requests
assert len(p5) == 1 and p5[0]["limit"] == 192 and p5[0]["used"] == 0, p5
' "$CACHE"
pass "refresh --cloud gcp: vCPU x core + GiB x RAM + T4 from SKUs (pageToken followed), T4 quota 4 used 1; both clouds cached"

# --- the cache serves later commands --------------------------------------------------------
expect_rc 0 "$MLBOX" machines --gpu T4 --cloud aws --region us-east-1
grep -q '^g4dn.xlarge .* \$0.611 ' "$WORK/stdout" || fail "cached price not used: $(cat "$WORK/stdout")"
expect_rc 0 "$MLBOX" machines --spot --sort availability --cloud aws --region us-east-1
head -1 "$WORK/stdout" | grep -q 'AVAILABILITY' || fail "no AVAILABILITY column: $(head -1 "$WORK/stdout")"
sed -n 2p "$WORK/stdout" | grep -q '^g4dn.xlarge .* 8/10  *8 vCPU  *8  *us-east-1$' || fail "availability order / spot quota used: $(cat "$WORK/stdout")"
sed -n 3p "$WORK/stdout" | grep -q '^g5.xlarge .* 2/10 ' || fail "second by availability: $(cat "$WORK/stdout")"
expect_rc 2 "$MLBOX" machines --sort availability
pass "machines reads the cache; --spot --sort availability orders by placement score"

# --- fallbacks ------------------------------------------------------------------------------
expect_rc 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY GCE_METADATA_HOST=127.0.0.1:9 \
  "$MLBOX" machines --refresh --gpu T4 --region us-east-1
grep -q "aws: not refreshed (.*); showing the cached prices of 20" "$WORK/stderr" ||
  fail "no-credentials fallback: $(cat "$WORK/stderr")"
[ "$(grep -c 'not refreshed' "$WORK/stderr")" = 1 ] || fail "one line per cloud: $(cat "$WORK/stderr")"
grep -q '^g4dn.xlarge .* \$0.611 ' "$WORK/stdout" || fail "cache not shown on fallback"
expect_rc 0 env AWS_SECRET_ACCESS_KEY=wrong-secret MLBOX_HOME="$WORK/fresh-home" \
  "$MLBOX" machines --refresh --cloud aws --gpu T4 --region us-east-1
grep -q "aws: not refreshed (Pricing GetProducts (POST http://127.0.0.1:[0-9]*/): HTTP 403 InvalidSignatureException.*showing the embedded table (list prices as of 2024-06-01)" "$WORK/stderr" ||
  fail "refused-signature fallback: $(cat "$WORK/stderr")"
grep -q '^g4dn.xlarge .* \$0.526 ' "$WORK/stdout" || fail "embedded price not shown: $(cat "$WORK/stdout")"
[ ! -e "$WORK/fresh-home/prices/machines.json" ] || fail "a failed refresh wrote a cache"
expect_rc 3 "$MLBOX" machines --refresh --region us-east-9
grep -q "does not offer region 'us-east-9'; the closest: us-east-1, us-east-2" "$WORK/stderr" ||
  fail "unknown region: $(cat "$WORK/stderr")"
pass "no credentials / refused signature: exit 0, one line, cached or embedded table; unknown region: exit 3"

# --- submit: estimate and quota before anything moves ---------------------------------------
start_registry reg
export MLBOX_ALLOW_LOCAL_REGISTRY=1
PROJ=$WORK/proj
make_image "$PROJ" v1 "300K,20K" 5 >/dev/null
write_vertex_manifest "$PROJ" "127.0.0.1:$REG_PORT/mlbox-test/prices" prices
cd "$PROJ"
expect_rc 3 "$MLBOX" submit --target vertex --machine n1-standard-8 --gpu T4:1 --nodes 4 --tag v1 --no-build
grep -q "needs 4 GPU of quota NVIDIA_T4_GPUS in us-central1, which has 3 left (limit 4, used 1" "$WORK/stderr" ||
  fail "quota refusal: $(cat "$WORK/stderr")"
grep -q "console.cloud.google.com/iam-admin/quotas?project=mlbox-test&metric=NVIDIA_T4_GPUS" "$WORK/stderr" ||
  fail "no place to raise the quota: $(cat "$WORK/stderr")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REG_PORT/v2/mlbox-test/prices/tags/list")" = 404 ] ||
  fail "an over-quota submit pushed the image"
expect_rc 0 "$MLBOX" --json submit --dry-run --target vertex --machine n1-standard-8 --gpu T4:1 \
  --max-runtime 2h --tag v1 --no-build
python3 - "$WORK/stdout" "$PROJ/.mlbox/oci" <<'PY'
import json, os, sys
e = json.load(open(sys.argv[1]))["estimate"]
want = 2 * (8 * 0.04 + 30 * 0.005 + 0.40)
assert abs(e["cost"]["on_demand_usd"] - want) < 1e-6, e
assert abs(e["cost"]["spot_usd"] - 2 * (8 * 0.01 + 30 * 0.001 + 0.15)) < 1e-6, e
assert e["quota"]["headroom"] == 3 and e["quota"]["needed"] == 1 and not e["quota"]["exceeded"], e
blobs = os.path.join(sys.argv[2], "blobs", "sha256")
push = e["push"]
assert push["blobs_missing"] == push["blobs"] == 3 and push["bytes_to_push"] == push["image_bytes"] > 300000, push
PY
grep -q "estimate for max_runtime 2h: \$[0-9.]* on-demand, \$[0-9.]* spot (prices fetched 20" "$WORK/stderr" ||
  fail "estimate line: $(cat "$WORK/stderr")"
expect_rc 0 "$MLBOX" push "127.0.0.1:$REG_PORT/mlbox-test/prices:v1" --tag v1
expect_rc 0 "$MLBOX" --json submit --dry-run --target vertex --machine n1-standard-8 --gpu T4:1 --tag v1 --no-build
python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["estimate"]["push"]
assert p["bytes_to_push"] == 0 and p["blobs_missing"] == 0 and p["image_bytes"] > 300000, p
' "$WORK/stdout"
grep -q "push: 0 B in 0 of 3 blobs the registry lacks; pull: " "$WORK/stderr" || fail "push line: $(cat "$WORK/stderr")"
pass "submit: over quota refused before the push (console URL named); dry run: cost on-demand vs spot, headroom, bytes to push (all, then none)"

# --- Vertex AI custom-training quotas (Cloud Quotas API ListQuotaInfos) --------------------
grep -q "Vertex AI training GPU quotas of mlbox-test not read" "$WORK/refresh_gcp.stderr" ||
  fail "the refused Cloud Quotas API was not named: $(cat "$WORK/refresh_gcp.stderr")"
export CLOUDSDK_CORE_PROJECT=mlbox-vq
: >"$WORK/billing.jsonl"
# Run where no mlbox.yaml names another project: machines reads the ambient project.
cd "$WORK"
expect_rc 0 timeout 120 "$MLBOX" machines --refresh --cloud gcp --gpu T4 --region us-central1 --json
cp "$WORK/stderr" "$WORK/refresh_vq.stderr"
! grep -q "Vertex AI training GPU quotas of mlbox-vq not read" "$WORK/refresh_vq.stderr" ||
  fail "the Vertex quotas were not read: $(cat "$WORK/refresh_vq.stderr")"
python3 - "$WORK/stdout" "$CACHE" <<'PY' || fail "Vertex quota rows (the refresh said: $(cat "$WORK/refresh_vq.stderr"))"
import json, sys
rows = json.load(open(sys.argv[1]))
m = "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus"
t4 = [r for r in rows if r["machine"].startswith("n1-") and r.get("quota")]
assert t4, rows
for row in t4:
    q = row["quota"]
    # Compute says 4 (used 1) for the same GPU and region: a row showing that is wrong.
    assert q["code"] == m and q["limit"] == 2 and q["used"] is None, (row["machine"], q)
    assert q["raise_url"] == f"https://console.cloud.google.com/iam-admin/quotas?project=mlbox-vq&metric={m}", q
cache = json.load(open(sys.argv[2]))["gcp"]
codes = {(x["code"], x["region"], x.get("project")): (x["limit"], x["used"]) for x in cache["quotas"]}
# Both sources are cached, each with its project; the rows above chose the Vertex one.
assert codes[("NVIDIA_T4_GPUS", "us-central1", "mlbox-vq")] == (4, 1), codes
assert codes[(m, "us-central1", "mlbox-vq")] == (2, None), codes
P = "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus"
assert codes[(P, "us-central1", "mlbox-vq")] == (16, None), codes
L4 = "aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus"
assert codes[(L4, "us-central1", "mlbox-vq")] == (0, None), codes
assert not any(c.endswith("custom_model_training_cpus") for c, _, _ in codes), codes
assert not any(p == "mlbox-test" for _, r, p in codes if r == "us-central1"), codes  # replaced
assert "Vertex AI quotas" in cache["source"], cache["source"]
PY
python3 - "$WORK/billing.jsonl" <<'PY'
import json, sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1])]
qi = [p for p in paths if p.startswith("/v1/projects/mlbox-vq/locations/global/services/aiplatform.googleapis.com/quotaInfos?")]
assert len(qi) == 2 and "pageToken=q4" in qi[1], qi   # 6 QuotaInfos, 4 a page
PY
# The table, from the cache: LIMIT 2 and USED "-" (Compute's would be 4 and 1); spot rows
# draw on the preemptible quota (16).
expect_rc 0 "$MLBOX" machines --cloud gcp --gpu T4 --region us-central1
grep -q '^n1-standard-8  *gcp  *T4 x1 .* 2 GPU  *-  *us-central1$' "$WORK/stdout" ||
  fail "Vertex LIMIT/USED in the table: $(cat "$WORK/stdout")"
expect_rc 0 "$MLBOX" machines --spot --cloud gcp --gpu T4 --region us-central1
grep -q '^n1-standard-8  *gcp  *T4 x1 .* 16 GPU  *-  *us-central1$' "$WORK/stdout" ||
  fail "Vertex preemptible quota in the table: $(cat "$WORK/stdout")"
cd "$PROJ"
expect_rc 3 "$MLBOX" submit --target vertex --project mlbox-vq --machine n1-standard-8 --gpu T4:1 \
  --nodes 3 --tag v1 --no-build
M=aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus
grep -q "needs 3 GPU of quota $M (Custom model training custom_model_training_nvidia_t4_gpus) in us-central1, which has 2 left (limit 2; read" \
  "$WORK/stderr" || fail "Vertex quota refusal: $(cat "$WORK/stderr")"
grep -q "console.cloud.google.com/iam-admin/quotas?project=mlbox-vq&metric=$M" "$WORK/stderr" ||
  fail "no place to raise the Vertex quota: $(cat "$WORK/stderr")"
! grep -q "NVIDIA_T4_GPUS" "$WORK/stderr" || fail "the Compute quota named: $(cat "$WORK/stderr")"
expect_rc 0 "$MLBOX" --json submit --dry-run --target vertex --project mlbox-vq --machine n1-standard-8 \
  --gpu T4:1 --nodes 2 --tag v1 --no-build
python3 -c '
import json, sys
q = json.load(open(sys.argv[1]))["estimate"]["quota"]
assert q["code"].endswith("custom_model_training_nvidia_t4_gpus") and q["headroom"] == 2, q
assert q["needed"] == 2 and not q["exceeded"] and q["used"] is None, q
' "$WORK/stdout"
grep -q "usage unknown: the limit is the headroom" "$WORK/stderr" || fail "usage line: $(cat "$WORK/stderr")"
# A V100 job on the same machine type draws on the V100 quota (none cached), not the T4 one.
expect_rc 0 "$MLBOX" --json submit --dry-run --target vertex --project mlbox-vq --machine n1-standard-8 \
  --gpu V100:1 --nodes 3 --tag v1 --no-build
python3 -c '
import json, sys
q = json.load(open(sys.argv[1]))["estimate"]["quota"]
assert q["code"] == "aiplatform.googleapis.com/custom_model_training_nvidia_v100_gpus" and q["limit"] is None, q
' "$WORK/stdout"
# A job for mlbox.yaml's project (mlbox-test) is not checked against mlbox-vq's quotas.
expect_rc 0 "$MLBOX" --json submit --dry-run --target vertex --machine n1-standard-8 --gpu T4:1 --nodes 3 \
  --tag v1 --no-build
python3 -c '
import json, sys
q = json.load(open(sys.argv[1]))["estimate"]["quota"]
assert q["limit"] is None, q
' "$WORK/stdout"
pass "Vertex quotas: ListQuotaInfos paged (pageToken), region over default, LIMIT only, chosen over Compute's (4 used 1) in JSON and table; refused Cloud Quotas API -> Compute quota; submit --nodes 3 refused naming the Vertex quota; quotas kept per project and per GPU"

echo "test_machine_prices: ok"
