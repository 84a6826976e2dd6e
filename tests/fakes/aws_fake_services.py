"""Service plug-ins for aws_fake.py: per-operation handlers over in-memory state.

Each plug-in names its botocore model (MODEL), the error code AWS uses for invalid input
(VALIDATION_ERROR), and implements call(operation, input) -> output dict (raising
AwsFault for AWS-shaped errors), state() for GET /__fake/state and control(cmd, args) for
POST /__fake/<service>/<cmd>. An operation of the model without a handler answers
UnsupportedOperation, so a test never passes on a silently ignored call.
"""
import base64, time

from aws_fake import AwsFault


def add_arguments(ap):
    ap.add_argument("--ecr-password", default="ecr-fake-password",
                    help="the registry password GetAuthorizationToken hands out (user AWS)")
    ap.add_argument("--ecr-repo", action="append", default=[],
                    help="a repository that exists from the start")
    ap.add_argument("--ecr-token-ttl", type=int, default=12 * 3600)


class Plugin:
    NAME = MODEL = VALIDATION_ERROR = None

    def __init__(self, fake, model):
        self.fake, self.model, self.args = fake, model, fake.args
        self.calls = {}

    def call(self, op, data):
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            raise AwsFault("UnsupportedOperation", f"the fake does not implement {op}", 400)
        self.calls[op] = self.calls.get(op, 0) + 1
        return handler(data)

    def state(self):
        return {"calls": self.calls}

    def control(self, cmd, args):
        raise AwsFault("UnknownControl", cmd, 404)


class Ecr(Plugin):
    NAME = "ecr"
    MODEL = "ecr-2015-09-21.service-2.json"
    VALIDATION_ERROR = "InvalidParameterException"

    def __init__(self, fake, model):
        super().__init__(fake, model)
        self.repos = {}
        for r in self.args.ecr_repo:
            self._create(r)

    def registry_host(self):
        return f"{self.args.account}.dkr.ecr.{self.args.region}.amazonaws.com"

    def _create(self, name):
        self.repos[name] = {
            "repositoryArn": f"arn:aws:ecr:{self.args.region}:{self.args.account}:repository/{name}",
            "registryId": self.args.account,
            "repositoryName": name,
            "repositoryUri": f"{self.registry_host()}/{name}",
            "createdAt": time.time(),
            "imageTagMutability": "MUTABLE",
            "imageScanningConfiguration": {"scanOnPush": False},
            "encryptionConfiguration": {"encryptionType": "AES256"},
        }
        return self.repos[name]

    def _registry(self, data):
        rid = data.get("registryId", self.args.account)
        if rid != self.args.account:
            raise AwsFault("AccessDeniedException",
                           f"not authorized to access registry {rid}", 400)

    def op_GetAuthorizationToken(self, data):
        token = base64.b64encode(f"AWS:{self.args.ecr_password}".encode()).decode()
        return {"authorizationData": [{
            "authorizationToken": token,
            "expiresAt": time.time() + self.args.ecr_token_ttl,
            "proxyEndpoint": f"https://{self.registry_host()}",
        }]}

    def op_CreateRepository(self, data):
        self._registry(data)
        name = data["repositoryName"]
        if name in self.repos:
            raise AwsFault("RepositoryAlreadyExistsException",
                           f"The repository with name '{name}' already exists in the registry "
                           f"with id '{self.args.account}'")
        return {"repository": self._create(name)}

    def op_DescribeRepositories(self, data):
        self._registry(data)
        names = data.get("repositoryNames")
        if names is None:
            return {"repositories": list(self.repos.values())}
        for n in names:
            if n not in self.repos:
                raise AwsFault("RepositoryNotFoundException",
                               f"The repository with name '{n}' does not exist in the registry "
                               f"with id '{self.args.account}'")
        return {"repositories": [self.repos[n] for n in names]}

    def op_DeleteRepository(self, data):
        self._registry(data)
        name = data["repositoryName"]
        if name not in self.repos:
            raise AwsFault("RepositoryNotFoundException",
                           f"The repository with name '{name}' does not exist in the registry "
                           f"with id '{self.args.account}'")
        return {"repository": self.repos.pop(name)}

    def state(self):
        return {"calls": self.calls, "repositories": sorted(self.repos)}


PLUGINS = {"ecr": Ecr}
