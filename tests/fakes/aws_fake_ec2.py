"""EC2 plug-in for aws_fake.py: the ec2 query protocol, validated against botocore's
ec2-2016-11-15 model (stored gzipped).

Requests are form bodies Action=...&Version=2016-11-15&... signed for the region they
address (--region or an --extra-region). Parameters are read the way the ec2 protocol
serialises them: each member's queryName, else its locationName capitalised, else its
name; lists flattened as Name.N (1-based, contiguous), structures as Name.Member. Unknown
parameters, gaps in list numbering, values of the wrong type, values outside the model's
enums (InstanceType!), missing required members: 400 with EC2's XML error
(<Response><Errors><Error><Code>...). Answers are XML serialised from the output shape
(locationName elements, lists as <item>).

DescribeSpotPriceHistory: prices from --spot-prices FILE {"region": {"type": {"zone":
  price}}}; Linux/UNIX only; pages of --ec2-page-size items with an opaque nextToken.
GetSpotPlacementScores: scores from --spot-scores FILE {"type": {"region": score}}, one
  item per RegionName asked for that has a score; TargetCapacity required.
DescribeInstances: the running instances of --instances FILE {"region": [{"type", "spot",
  "cores", "threads"}]}, one reservation each; the only filter understood is
  instance-state-name (others: InvalidParameterValue); pages of --ec2-page-size.
"""
import base64, json, re, secrets, time
from urllib.parse import parse_qsl

from aws_fake import AwsFault, verify_sigv4


def add_arguments(ap):
    ap.add_argument("--spot-prices", help="JSON {region: {instance type: {zone: price}}}")
    ap.add_argument("--spot-scores", help="JSON {instance type: {region: score}}")
    ap.add_argument("--ec2-page-size", type=int, default=2)
    ap.add_argument("--instances", help="JSON {region: [{type, spot, cores, threads}]}")


def esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Ec2:
    NAME = "ec2"
    MODEL = "ec2-2016-11-15.service-2.json"

    def __init__(self, fake, model):
        self.fake, self.model, self.args = fake, model, fake.args
        self.calls = {}
        self.prices = self.load(self.args.spot_prices)
        self.scores = self.load(self.args.spot_scores)
        self.instances = self.load(self.args.instances)

    @staticmethod
    def load(path):
        if not path:
            return {}
        with open(path) as f:
            return json.load(f)

    def state(self):
        return {"calls": self.calls}

    def control(self, cmd, args):
        raise AwsFault("UnknownControl", cmd, 404)

    # -- the ec2 protocol ---------------------------------------------------------------

    @staticmethod
    def wire_name(name, member):
        if "queryName" in member:
            return member["queryName"]
        if "locationName" in member:
            loc = member["locationName"]
            return loc[0].upper() + loc[1:]
        return name

    def read(self, shape_name, prefix, params, used, errors):
        shape = self.model.shapes[shape_name]
        t = shape["type"]
        if t == "structure":
            out = {}
            for name, member in shape.get("members", {}).items():
                key = self.wire_name(name, member)
                key = f"{prefix}.{key}" if prefix else key
                v = self.read(member["shape"], key, params, used, errors)
                if v is not None:
                    out[name] = v
            return out if out or not prefix else None
        if t == "list":
            items, i = [], 1
            while f"{prefix}.{i}" in params or any(k.startswith(f"{prefix}.{i}.") for k in params):
                items.append(self.read(shape["member"]["shape"], f"{prefix}.{i}", params, used,
                                       errors))
                i += 1
            return items or None
        if prefix not in params:
            return None
        used.add(prefix)
        v = params[prefix]
        if t in ("integer", "long"):
            try:
                return int(v)
            except ValueError:
                errors.append(f"{prefix}: '{v}' is not an integer")
                return None
        if t == "boolean":
            if v not in ("true", "false"):
                errors.append(f"{prefix}: '{v}' is not a boolean")
                return None
            return v == "true"
        if t in ("double", "float"):
            try:
                return float(v)
            except ValueError:
                errors.append(f"{prefix}: '{v}' is not a number")
                return None
        if t == "timestamp" and not re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", v):
            errors.append(f"{prefix}: '{v}' is not an ISO 8601 time")
            return None
        return v

    def to_xml(self, shape_name, value):
        shape = self.model.shapes[shape_name]
        t = shape["type"]
        if t == "structure":
            out = ""
            for name, member in shape.get("members", {}).items():
                if name not in value or value[name] is None:
                    continue
                tag = member.get("locationName", name[0].lower() + name[1:])
                out += f"<{tag}>{self.to_xml(member['shape'], value[name])}</{tag}>"
            return out
        if t == "list":
            tag = shape["member"].get("locationName", "item")
            return "".join(f"<{tag}>{self.to_xml(shape['member']['shape'], v)}</{tag}>"
                           for v in value)
        if t == "boolean":
            return "true" if value else "false"
        return esc(value)

    def handle(self, method, raw_path, headers, body):
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        action, version = params.pop("Action", None), params.pop("Version", None)
        op = None
        try:
            if action not in self.model.operations or version != self.model.meta["apiVersion"]:
                raise AwsFault("InvalidAction", f"The action {action} is not valid for this "
                               f"web service (version {version}).")
            op = action
            verify_sigv4(method, raw_path, headers, body, self.fake.creds, self.fake.regions,
                         [self.model.signing_name])
            region = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/",
                               dict((k.lower(), v) for k, v in headers)["authorization"]).group(1)
            errors, used = [], set()
            spec = self.model.operations[op]
            data = self.read(spec["input"]["shape"], "", params, used, errors) \
                if "input" in spec else {}
            for k in sorted(set(params) - used):
                errors.append(f"unknown parameter '{k}'")
            if not errors and "input" in spec:
                self.model.validate(spec["input"]["shape"], data, "", errors)
            if errors:
                raise AwsFault("InvalidParameterValue", "; ".join(errors))
            handler = getattr(self, "op_" + op, None)
            if handler is None:
                raise AwsFault("UnsupportedOperation", f"the fake does not implement {op}")
            with self.fake.lock:
                self.calls[op] = self.calls.get(op, 0) + 1
                out = handler(data, region)
            self.fake.log({"service": "ec2", "operation": op, "input": data, "region": region,
                           "time": time.time()})
            inner = self.to_xml(spec["output"]["shape"], out)
            xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{op}Response xmlns=\""
                   f"http://ec2.amazonaws.com/doc/{version}/\"><requestId>{secrets.token_hex(8)}"
                   f"</requestId>{inner}</{op}Response>")
            return 200, {"Content-Type": "text/xml;charset=UTF-8"}, xml.encode()
        except AwsFault as f:
            code = {"InvalidSignatureException": "SignatureDoesNotMatch",
                    "UnrecognizedClientException": "AuthFailure"}.get(f.code, f.code)
            self.fake.log({"service": "ec2", "rejected": code, "operation": op,
                           "message": f.message.split("\n")[0], "time": time.time()})
            xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>"
                   f"{code}</Code><Message>{esc(f.message)}</Message></Error></Errors><RequestID>"
                   f"{secrets.token_hex(8)}</RequestID></Response>")
            return f.status, {"Content-Type": "text/xml;charset=UTF-8"}, xml.encode()

    # -- operations ---------------------------------------------------------------------

    def page(self, items, d):
        start = 0
        if d.get("NextToken"):
            try:
                start = int(base64.b64decode(d["NextToken"]).decode().split(":")[1])
            except (ValueError, IndexError):
                raise AwsFault("InvalidNextToken", "The specified token is not valid")
        size = min(d.get("MaxResults", 1000), self.args.ec2_page_size)
        nxt = ""
        if start + size < len(items):
            nxt = base64.b64encode(f"offset:{start + size}".encode()).decode()
        return items[start:start + size], nxt

    def op_DescribeSpotPriceHistory(self, d, region):
        types = d.get("InstanceTypes") or []
        products = d.get("ProductDescriptions") or ["Linux/UNIX"]
        items = []
        for t, zones in sorted(self.prices.get(region, {}).items()):
            if types and t not in types:
                continue
            for zone, price in sorted(zones.items()):
                if "Linux/UNIX" in products:
                    items.append({"AvailabilityZone": zone, "InstanceType": t,
                                  "ProductDescription": "Linux/UNIX", "SpotPrice": price,
                                  "Timestamp": d.get("StartTime", "2026-01-01T00:00:00Z")})
        page, nxt = self.page(items, d)
        return {"SpotPriceHistory": page, "NextToken": nxt}

    def op_GetSpotPlacementScores(self, d, region):
        types = d.get("InstanceTypes") or []
        if len(types) != 1:
            raise AwsFault("InvalidParameterValue", "the fake scores one instance type per call")
        scores = self.scores.get(types[0], {})
        items = [{"Region": r, "Score": scores[r]} for r in d.get("RegionNames") or sorted(scores)
                 if r in scores]
        page, nxt = self.page(items, d)
        out = {"SpotPlacementScores": page}
        if nxt:
            out["NextToken"] = nxt
        return out


    def op_DescribeInstances(self, d, region):
        states = None
        for f in d.get("Filters") or []:
            if f.get("Name") != "instance-state-name":
                raise AwsFault("InvalidParameterValue",
                               f"The filter '{f.get('Name')}' is not understood by the fake")
            states = f.get("Values") or []
        items = []
        if states is None or "running" in states:
            for n, i in enumerate(self.instances.get(region, [])):
                inst = {"InstanceId": f"i-{n:017x}", "InstanceType": i["type"],
                        "CpuOptions": {"CoreCount": i["cores"], "ThreadsPerCore": i["threads"]},
                        "State": {"Code": 16, "Name": "running"}}
                if i.get("spot"):
                    inst["InstanceLifecycle"] = "spot"
                items.append({"ReservationId": f"r-{n:017x}", "OwnerId": self.args.account,
                              "Instances": [inst]})
        page, nxt = self.page(items, d)
        out = {"Reservations": page}
        if nxt:
            out["NextToken"] = nxt
        return out


PLUGINS = {"ec2": Ec2}
