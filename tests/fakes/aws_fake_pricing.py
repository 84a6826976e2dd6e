"""Price List Query API (pricing, JSON 1.1) and Service Quotas plug-ins for aws_fake.py.

pricing GetProducts: answers from --pricing-products FILE, a JSON list of price list
  documents (objects, sent as JSON strings as AWS does; a string entry is sent as is, for
  malformed documents). Filters are applied as AWS documents them: TERM_MATCH / EQUALS
  (attribute equals the value), ANY_OF / NONE_OF (comma-separated values), CONTAINS;
  ServiceCode must be AmazonEC2 (others: NotFoundException). Pages hold
  min(MaxResults, --pricing-page-size) items; NextToken is opaque, an unknown one answers
  InvalidNextTokenException. Requests must be signed for us-east-1, eu-central-1 or
  ap-south-1 (the API's regions).
service-quotas GetServiceQuota / ListServiceQuotas: ServiceCode ec2 only; the values come
  from --quota CODE=VALUE[@REGION] (repeatable); a code with no value answers
  NoSuchResourceException. --quota-deny makes every call AccessDeniedException.
"""
import base64, json

from aws_fake import AwsFault
from aws_fake_services import Plugin

PRICING_REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")


def add_arguments(ap):
    ap.add_argument("--pricing-products", help="JSON list of price list documents")
    ap.add_argument("--pricing-page-size", type=int, default=3)
    ap.add_argument("--quota", action="append", default=[],
                    help="CODE=VALUE[@REGION]: an EC2 quota value (every region without @)")
    ap.add_argument("--quota-deny", action="store_true",
                    help="Service Quotas refuses every call (AccessDeniedException)")


def attr(doc, field):
    if not isinstance(doc, dict):
        return None
    product = doc.get("product", {})
    if field == "productFamily":
        return product.get("productFamily")
    return product.get("attributes", {}).get(field)


def matches(doc, f):
    value = attr(doc, f["Field"])
    kind = f["Type"]
    if kind in ("TERM_MATCH", "EQUALS"):
        return value == f["Value"]
    if kind == "ANY_OF":
        return value in f["Value"].split(",")
    if kind == "NONE_OF":
        return value not in f["Value"].split(",")
    if kind == "CONTAINS":
        return value is not None and f["Value"] in value
    raise AwsFault("InvalidParameterException", f"unknown filter type {kind}")


class Pricing(Plugin):
    NAME = "pricing"
    MODEL = "pricing-2017-10-15.service-2.json"
    VALIDATION_ERROR = "ValidationException"

    def __init__(self, fake, model):
        super().__init__(fake, model)
        self.products = []
        if self.args.pricing_products:
            with open(self.args.pricing_products) as f:
                self.products = json.load(f)
        self.pages = 0

    def op_GetProducts(self, d):
        if self.region not in PRICING_REGIONS:
            raise AwsFault("UnrecognizedClientException",
                           f"the Price List Query API is not offered in {self.region}")
        if d["ServiceCode"] != "AmazonEC2":
            raise AwsFault("NotFoundException", f"service {d['ServiceCode']} not found")
        if d.get("FormatVersion", "aws_v1") != "aws_v1":
            raise AwsFault("InvalidParameterException", "FormatVersion must be aws_v1")
        # Malformed (string) documents are never filtered out: AWS could not either.
        items = [p for p in self.products
                 if isinstance(p, str) or all(matches(p, f) for f in d.get("Filters", []))]
        start = 0
        if d.get("NextToken"):
            try:
                start = int(base64.b64decode(d["NextToken"]).decode().split(":")[1])
            except (ValueError, IndexError):
                raise AwsFault("InvalidNextTokenException", "The pagination token is invalid")
        size = min(d.get("MaxResults", 100), self.args.pricing_page_size)
        page = items[start:start + size]
        self.pages += 1
        out = {"FormatVersion": "aws_v1",
               "PriceList": [p if isinstance(p, str) else json.dumps(p) for p in page]}
        if start + size < len(items):
            out["NextToken"] = base64.b64encode(f"offset:{start + size}".encode()).decode()
        return out

    def state(self):
        return {"calls": self.calls, "pages": self.pages}


class ServiceQuotas(Plugin):
    NAME = "service-quotas"
    MODEL = "service-quotas-2019-06-24.service-2.json"
    VALIDATION_ERROR = "ValidationException"

    def value(self, code):
        best = None
        for spec in self.args.quota:
            c, _, rest = spec.partition("=")
            v, _, region = rest.partition("@")
            if c == code and (not region or region == self.region):
                best = float(v)
        return best

    def quota(self, code, value):
        return {"ServiceCode": "ec2", "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
                "QuotaArn": f"arn:aws:servicequotas:{self.region}:{self.args.account}:ec2/{code}",
                "QuotaCode": code, "QuotaName": NAMES.get(code, code), "Value": value,
                "Unit": "None", "Adjustable": True, "GlobalQuota": False}

    def check(self, d):
        if self.args.quota_deny:
            raise AwsFault("AccessDeniedException", "User is not authorized to perform: "
                           "servicequotas:GetServiceQuota", 400)
        if d["ServiceCode"] != "ec2":
            raise AwsFault("NoSuchResourceException", f"service {d['ServiceCode']} unknown")

    def op_GetServiceQuota(self, d):
        self.check(d)
        v = self.value(d["QuotaCode"])
        if v is None:
            raise AwsFault("NoSuchResourceException",
                           f"The request failed because the specified quota {d['QuotaCode']} "
                           "doesn't exist.")
        return {"Quota": self.quota(d["QuotaCode"], v)}

    def op_ListServiceQuotas(self, d):
        self.check(d)
        codes = sorted({s.split("=")[0] for s in self.args.quota})
        return {"Quotas": [self.quota(c, self.value(c)) for c in codes
                           if self.value(c) is not None]}


NAMES = {
    "L-DB2E81BA": "Running On-Demand G and VT instances",
    "L-417A185B": "Running On-Demand P instances",
    "L-3819A6DF": "All G and VT Spot Instance Requests",
    "L-7212CCBC": "All P4, P3 and P2 Spot Instance Requests",
    "L-C4BD4855": "All P5 Spot Instance Requests",
    "L-1216C47A": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
    "L-34B43A08": "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
}

PLUGINS = {"pricing": Pricing, "service-quotas": ServiceQuotas}
