"""IAM enforcement for moto's server, for the calls this project makes (MOTO_CHINA_ENFORCE_IAM=1).

moto 5.2.5 checks identity policies when its auth switch is on, but only by action: every request
outside S3 and existing IAM roles is checked against the resource "*", so a policy scoped to ARNs
allows nothing, and the only condition operator it evaluates is StringEquals (an Allow whose condition
it cannot read turns into a Deny). This layer sits in front of moto's WSGI app and, for a request
signed with an IAM user's access key:

- names the IAM action(s) the request needs, the resource ARN of each and the request's condition
  keys (the Service Authorization Reference's actions table, for the operations in
  docs/iam-actions.json and the providers' own calls);
- evaluates the user's identity policies (inline, attached, groups' ones, read from moto's IAM) as
  IAM does: an explicit Deny wins, then any Allow whose action, resource and conditions all match;
  operators StringEquals/NotEquals/Like/NotLike, ArnEquals/ArnLike, Bool, Null, with the ForAllValues:
  and ForAnyValue: qualifiers and IfExists; the tag keys aws:RequestTag/ResourceTag/TagKeys of
  CloudFront distributions (from the request body and moto's tags);
- answers AccessDenied in the service's own error format, and appends every decision to the JSON-lines
  file MOTO_CHINA_DECISIONS.

A request this layer cannot name an action for is denied ("unmapped"), so a new call cannot pass
unchecked. A key that belongs to no IAM user is the account's root (the tests' own setup calls), as
in AWS. Not evaluated: resource-based policies (moto's own S3 bucket policy check still runs), SCPs,
and the global keys the requests cannot carry here (aws:SecureTransport: moto is plain HTTP;
aws:SourceIp; tag keys outside CloudFront, which the project's policies do not use).
"""
import fnmatch
import io
import json
import os
import re
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

from moto.cloudfront.models import cloudfront_backends
from moto.iam.access_control import CreateAccessKeyFailure, IAMPolicy, IAMUserAccessKey
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.moto_server import werkzeug_app

ACCOUNT = "123456789012"
PARTITION = "aws-cn"


def _enabled():
    return os.environ.get("MOTO_CHINA_ENFORCE_IAM") == "1"


# --- policy evaluation --------------------------------------------------------------------------


def _glob(pattern, value, case=True):
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, value, 0 if case else re.IGNORECASE) is not None


def _listed(v):
    return v if isinstance(v, list) else [v]


def _matches_value(operator, expected, actual):
    if operator in ("StringEquals", "ArnEquals"):
        return actual == expected
    if operator in ("StringLike", "ArnLike"):
        return _glob(expected, actual)
    if operator == "Bool":
        return str(actual).lower() == str(expected).lower()
    raise ValueError(f"condition operator {operator} is not evaluated here")


def _condition_met(qualified, key, expected_values, context):
    qualifier, _, operator = qualified.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator[: -len("IfExists")] if if_exists else operator
    negated = operator in ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")
    base = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}.get(
        operator, operator
    )
    actual = context.get(key.lower())
    expected = _listed(expected_values)
    if operator == "Null":
        # "true": the key must be absent from the request; "false": present.
        return (actual is None) == (str(expected[0]).lower() == "true")
    hit = lambda value: any(_matches_value(base, e, value) for e in expected)  # noqa: E731
    if actual is None:
        return qualifier == "ForAllValues" or if_exists or negated
    if qualifier == "ForAllValues":
        return all((not hit(a)) if negated else hit(a) for a in actual)
    if qualifier == "ForAnyValue":
        return any((not hit(a)) if negated else hit(a) for a in actual)
    return (not any(hit(a) for a in actual)) if negated else any(hit(a) for a in actual)


def _statement_applies(statement, action, resource, context):
    if not any(_glob(a, action, case=False) for a in _listed(statement.get("Action", []))):
        return False
    if not any(_glob(r, resource) for r in _listed(statement.get("Resource", []))):
        return False
    for qualified, keys in (statement.get("Condition") or {}).items():
        for key, values in keys.items():
            if not _condition_met(qualified, key, values, context):
                return False
    return True


def evaluate(documents, action, resource, context):
    """(allowed, the Sid that decided) under IAM's rules for identity policies."""
    allowed_by = None
    for document in documents:
        for statement in _listed(document.get("Statement", [])):
            if _statement_applies(statement, action, resource, context):
                if statement.get("Effect") == "Deny":
                    return False, f"explicit deny {statement.get('Sid', '')}"
                allowed_by = allowed_by or statement.get("Sid", "(no Sid)")
    return (True, allowed_by) if allowed_by else (False, "no statement allows it")


def _user_documents(access_key_id, headers):
    try:
        key = IAMUserAccessKey(account_id=ACCOUNT, partition=PARTITION, access_key_id=access_key_id, headers=headers)
    except CreateAccessKeyFailure:
        return None  # not an IAM user's key: the account's root
    return [IAMPolicy(p)._policy_json for p in key.collect_policies()]


# A policy variable naming a tag the principal does not carry matches nothing (IAM User Guide, "IAM
# policy elements: Variables and tags": "If the key ... is not present, the condition evaluates to false").
_NO_TAG = "\u0000no such tag"


def _role_principal(access_key_id):
    """(identity documents, boundary document or None) of a role session's key (STS AssumeRole), or None.

    A role's calls are allowed only where both its identity policies and its permissions boundary
    allow them (IAM User Guide, "Permissions boundaries for IAM entities"), with each
    ${aws:PrincipalTag/key} replaced by the role's tag.
    """
    assumed = sts_backends[ACCOUNT][PARTITION].get_assumed_role_from_access_key(access_key_id)
    if assumed is None:
        return None
    role = next((r for r in _iam_backend().roles.values() if r.arn == assumed.role_arn), None)
    if role is None:
        return None
    tags = {t["Key"]: t["Value"] for t in (role.tags or [])}

    def resolved(document):
        text = json.dumps(document if isinstance(document, dict) else json.loads(unquote(document)))
        text = re.sub(r"\$\{aws:PrincipalTag/([^}]+)\}", lambda m: tags.get(m.group(1), _NO_TAG), text)
        return json.loads(text)

    documents = [resolved(d) for d in role.policies.values()]
    documents += [resolved(next(v.document for v in p.versions if v.is_default_version)) for p in role.managed_policies.values()]
    boundary = None
    if role.permissions_boundary_arn:
        policy = _iam_backend().get_policy(role.permissions_boundary_arn)
        boundary = resolved(next(v.document for v in policy.versions if v.is_default_version))
    return documents, boundary


# --- requests to (action, resource, context) ------------------------------------------------------


def _iam_backend():
    return iam_backends[ACCOUNT][PARTITION]


def _arn(service, resource, region=""):
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT}:{resource}"


def _role_arn(name, path=None):
    for role in _iam_backend().roles.values():
        if role.name == name:
            return role.arn, role.permissions_boundary_arn
    return f"arn:{PARTITION}:iam::{ACCOUNT}:role{path or '/'}{name}", None


def _certificate_arn(name, path=None):
    for cert in _iam_backend().certificates.values():
        if cert.cert_name == name:
            return cert.arn
    return f"arn:{PARTITION}:iam::{ACCOUNT}:server-certificate{path or '/'}{name}"


def _normalized(name):
    name = name.lower().rstrip(".")
    return re.sub(r"[^a-z0-9\-_.]", lambda m: "\\%03o" % ord(m.group(0)), name.replace("\\052", "*"))


def _iam(op, p):
    one = lambda k: (p.get(k) or [None])[0]  # noqa: E731
    if op in ("ListServerCertificates", "ListRoles", "ListPolicies", "ListUsers", "GetAccountSummary"):
        return [(f"iam:{op}", "*", {})]
    if op == "UploadServerCertificate":
        arn = _certificate_arn(one("ServerCertificateName"), one("Path"))
        calls = [("iam:UploadServerCertificate", arn, {})]
        return calls + ([("iam:TagServerCertificate", arn, {})] if any(k.startswith("Tags.member") for k in p) else [])
    if op == "UpdateServerCertificate":
        # IAM checks the certificate under its old and its new path and name (IAM API reference).
        name = one("ServerCertificateName")
        current = _certificate_arn(name)
        path = one("NewPath") or current.split(":server-certificate", 1)[1].rsplit("/", 1)[0] + "/"
        moved = f"arn:{PARTITION}:iam::{ACCOUNT}:server-certificate{path}{one('NewServerCertificateName') or name}"
        return [(f"iam:{op}", current, {}), (f"iam:{op}", moved, {})]
    if "ServerCertificateName" in p:
        return [(f"iam:{op}", _certificate_arn(one("ServerCertificateName")), {})]
    if "RoleName" in p:
        arn, current_boundary = _role_arn(one("RoleName"), one("Path"))
        boundary = one("PermissionsBoundary") if op in ("CreateRole", "PutRolePermissionsBoundary") else current_boundary
        context = {"iam:permissionsboundary": [boundary]} if boundary else {}
        # The tags a CreateRole or TagRole sets: aws:RequestTag/<key> and aws:TagKeys (IAM User Guide,
        # "Controlling access during AWS requests"); CreateRole with tags is also a TagRole.
        tagged = {}
        for k, v in p.items():
            m = re.fullmatch(r"Tags\.member\.(\d+)\.Key", k)
            if m:
                tagged[v[0]] = (p.get(f"Tags.member.{m.group(1)}.Value") or [""])[0]
        if tagged:
            context = {**context, "aws:tagkeys": list(tagged)}
            context.update({f"aws:requesttag/{key}".lower(): [value] for key, value in tagged.items()})
        calls = [(f"iam:{op}", arn, context)]
        if op == "CreateRole" and tagged:
            calls.append(("iam:TagRole", arn, context))
        return calls
    if "PolicyArn" in p:
        return [(f"iam:{op}", one("PolicyArn"), {})]
    if "PolicyName" in p and op == "CreatePolicy":
        return [("iam:CreatePolicy", f"arn:{PARTITION}:iam::{ACCOUNT}:policy{one('Path') or '/'}{one('PolicyName')}", {})]
    if "UserName" in p:
        return [(f"iam:{op}", f"arn:{PARTITION}:iam::{ACCOUNT}:user/{one('UserName')}", {})]
    return None


def _sns(op, p, region):
    one = lambda k: (p.get(k) or [None])[0]  # noqa: E731
    if op == "CreateTopic":
        return [("sns:CreateTopic", _arn("sns", one("Name"), region), {})] + (
            [("sns:TagResource", _arn("sns", one("Name"), region), {})] if any(k.startswith("Tags.member") for k in p) else []
        )
    if op in ("Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes", "ListTopics", "ListSubscriptions"):
        return [(f"sns:{op}", "*", {})]
    arn = one("TopicArn") or one("ResourceArn")
    return [(f"sns:{op}", arn, {})] if arn else None


def _logs(op, body, region):
    if op == "DescribeLogGroups":
        return [("logs:DescribeLogGroups", "*", {})]
    name = body.get("logGroupName")
    if name:
        return [(f"logs:{op}", _arn("logs", f"log-group:{name}", region), {})] + (
            [("logs:TagResource", _arn("logs", f"log-group:{name}", region), {})] if op == "CreateLogGroup" and body.get("tags") else []
        )
    arn = body.get("resourceArn")
    return [(f"logs:{op}", re.sub(r":\*$", "", arn), {})] if arn else None


def _events(op, body, region):
    name = body.get("Name") or body.get("Rule")
    if name:
        calls = [(f"events:{op}", _arn("events", f"rule/{name}", region), {})]
        return calls + ([("events:TagResource", calls[0][1], {})] if op == "PutRule" and body.get("Tags") else [])
    arn = body.get("ResourceARN")
    return [(f"events:{op}", arn, {})] if arn else None


def _cloudwatch(op, body, region):
    if op == "PutMetricData":
        return [("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": [body.get("Namespace", "")]})]
    if op == "PutMetricAlarm":
        arn = _arn("cloudwatch", f"alarm:{body.get('AlarmName')}", region)
        return [("cloudwatch:PutMetricAlarm", arn, {})] + ([("cloudwatch:TagResource", arn, {})] if body.get("Tags") else [])
    if op in ("PutDashboard", "GetDashboard"):
        return [(f"cloudwatch:{op}", _arn("cloudwatch", f"dashboard/{body.get('DashboardName')}"), {})]
    if op == "DeleteDashboards":
        return [("cloudwatch:DeleteDashboards", _arn("cloudwatch", f"dashboard/{n}"), {}) for n in body.get("DashboardNames") or []]
    if op in ("DeleteAlarms", "DescribeAlarms"):
        names = body.get("AlarmNames") or []
        return [(f"cloudwatch:{op}", _arn("cloudwatch", f"alarm:{n}", region), {}) for n in names] or [(f"cloudwatch:{op}", "*", {})]
    arn = body.get("ResourceARN")
    return [(f"cloudwatch:{op}", arn, {})] if arn else None


_LAMBDA_SUFFIXES = [
    (r"", {"GET": "GetFunction", "DELETE": "DeleteFunction"}),
    (r"/configuration", {"GET": "GetFunctionConfiguration", "PUT": "UpdateFunctionConfiguration"}),
    (r"/code", {"PUT": "UpdateFunctionCode"}),
    (r"/policy", {"GET": "GetPolicy", "POST": "AddPermission"}),
    (r"/policy/[^/]+", {"DELETE": "RemovePermission"}),
    (r"/versions", {"GET": "ListVersionsByFunction", "POST": "PublishVersion"}),
    (r"/code-signing-config", {"GET": "GetFunctionCodeSigningConfig"}),
    (r"/runtime-management-config", {"GET": "GetRuntimeManagementConfig"}),
    (r"/recursion-config", {"GET": "GetFunctionRecursionConfig"}),
    (r"/concurrency", {"GET": "GetFunctionConcurrency"}),
    (r"/event-invoke-config", {"GET": "GetFunctionEventInvokeConfig"}),
]


def _lambda(method, path, body, region):
    function_arn = lambda name: _arn("lambda", f"function:{unquote(name).split(':')[-1]}", region)  # noqa: E731
    if re.fullmatch(r"/[\d-]+/functions/?", path) and method == "POST":
        arn = function_arn(body.get("FunctionName", ""))
        calls = [("lambda:CreateFunction", arn, {})]
        if body.get("Role"):
            calls.append(_pass_role(body["Role"]))
        return calls + ([("lambda:TagResource", arn, {})] if body.get("Tags") else [])
    m = re.fullmatch(r"/[\d-]+/tags/(.+)", path)
    if m:
        op = {"GET": "ListTags", "POST": "TagResource", "DELETE": "UntagResource"}[method]
        return [(f"lambda:{op}", unquote(m.group(1)), {})]
    m = re.fullmatch(r"/[\d-]+/functions/([^/]+)(/.*)?", path)
    if not m:
        return None
    for suffix, ops in _LAMBDA_SUFFIXES:
        if re.fullmatch(suffix, m.group(2) or "") and method in ops:
            calls = [(f"lambda:{ops[method]}", function_arn(m.group(1)), {})]
            if ops[method] == "UpdateFunctionConfiguration" and body.get("Role"):
                calls.append(_pass_role(body["Role"]))
            return calls
    return None


def _pass_role(role_arn):
    # The Lambda call passes the role to Lambda: iam:PassedToService is the service the role goes to.
    return ("iam:PassRole", role_arn, {"iam:passedtoservice": ["lambda.amazonaws.com"]})


def _route53(method, path, body):
    zone = re.fullmatch(r"/2013-04-01/hostedzone/([^/]+)(/rrset/?)?", path)
    if zone:
        arn = f"arn:{PARTITION}:route53:::hostedzone/{zone.group(1)}"
        if zone.group(2):
            if method == "GET":
                return [("route53:ListResourceRecordSets", arn, {})]
            root = ElementTree.fromstring(body)
            changes = [c for c in root.iter() if c.tag.endswith("}Change")]
            field = lambda c, name: next((e.text for e in c.iter() if e.tag.endswith("}" + name)), "")  # noqa: E731
            context = {
                "route53:changeresourcerecordsetsnormalizedrecordnames": [_normalized(field(c, "Name")) for c in changes],
                "route53:changeresourcerecordsetsrecordtypes": [field(c, "Type") for c in changes],
                "route53:changeresourcerecordsetsactions": [field(c, "Action") for c in changes],
            }
            return [("route53:ChangeResourceRecordSets", arn, context)]
        return [({"GET": "route53:GetHostedZone", "DELETE": "route53:DeleteHostedZone"}[method], arn, {})]
    if re.fullmatch(r"/2013-04-01/hostedzone/?", path):
        return [({"GET": "route53:ListHostedZones", "POST": "route53:CreateHostedZone"}[method], "*", {})]
    if re.fullmatch(r"/2013-04-01/hostedzonesbyname/?", path):
        return [("route53:ListHostedZonesByName", "*", {})]
    change = re.fullmatch(r"/2013-04-01/change/([^/]+)", path)
    if change:
        return [("route53:GetChange", f"arn:{PARTITION}:route53:::change/{change.group(1)}", {})]
    tags = re.fullmatch(r"/2013-04-01/tags/hostedzone/([^/]+)", path)
    if tags:
        op = "route53:ListTagsForResource" if method == "GET" else "route53:ChangeTagsForResource"
        return [(op, f"arn:{PARTITION}:route53:::hostedzone/{tags.group(1)}", {})]
    return None


def _request_tags(body):
    """aws:RequestTag/<key> and aws:TagKeys of a CloudFront request body's <Tags><Items><Tag>s."""
    if not body:
        return {}
    tags = {}
    for tag in (e for e in ElementTree.fromstring(body).iter() if e.tag.split("}")[-1] == "Tag"):
        fields = {c.tag.split("}")[-1]: (c.text or "") for c in tag}
        tags[fields.get("Key", "")] = fields.get("Value", "")
    context = {f"aws:requesttag/{k}".lower(): [v] for k, v in tags.items()}
    return {**context, "aws:tagkeys": list(tags)} if tags else {}


def _resource_tags(arn):
    """aws:ResourceTag/<key> of a CloudFront resource, from moto's tagging service."""
    backend = cloudfront_backends[ACCOUNT][PARTITION]
    tags = backend.tagger.get_tag_dict_for_resource(arn)
    return {f"aws:resourcetag/{k}".lower(): [v] for k, v in tags.items()}


def _cloudfront(method, path, query, body):
    distribution = lambda i: f"arn:{PARTITION}:cloudfront::{ACCOUNT}:distribution/{i}"  # noqa: E731
    oai = lambda i: f"arn:{PARTITION}:cloudfront::{ACCOUNT}:origin-access-identity/{i}"  # noqa: E731
    p = path[len("/2020-05-31") :] if path.startswith("/2020-05-31") else path
    if p == "/distribution" and method == "POST":
        # No resource type (Service Authorization Reference): "*", with the request's tags as keys.
        context = _request_tags(body) if "WithTags" in query else {}
        calls = [("cloudfront:CreateDistribution", "*", context)]
        return calls + ([("cloudfront:TagResource", "*", context)] if "WithTags" in query else [])
    if p == "/distribution" and method == "GET":
        return [("cloudfront:ListDistributions", "*", {})]
    m = re.fullmatch(r"/distribution/([^/]+)(/config|/invalidation(?:/[^/]+)?)?", p)
    if m:
        ops = {
            ("", "GET"): "GetDistribution",
            ("", "DELETE"): "DeleteDistribution",
            ("/config", "GET"): "GetDistributionConfig",
            ("/config", "PUT"): "UpdateDistribution",
            ("/invalidation", "POST"): "CreateInvalidation",
            ("/invalidation", "GET"): "ListInvalidations",
            ("/invalidation/", "GET"): "GetInvalidation",
        }
        suffix = m.group(2) or ""
        suffix = "/invalidation/" if suffix.startswith("/invalidation/") else suffix
        arn = distribution(m.group(1))
        return [(f"cloudfront:{ops[(suffix, method)]}", arn, _resource_tags(arn))]
    if p == "/tagging":
        operation = (query.get("Operation") or [""])[0]
        op = {"Tag": "TagResource", "Untag": "UntagResource", "": "ListTagsForResource"}[operation]
        arn = (query.get("Resource") or ["*"])[0]
        context = {**_resource_tags(arn), **(_request_tags(body) if op == "TagResource" else {})}
        return [(f"cloudfront:{op}", arn, context)]
    if p == "/origin-access-identity/cloudfront":
        op = "CreateCloudFrontOriginAccessIdentity" if method == "POST" else "ListCloudFrontOriginAccessIdentities"
        return [(f"cloudfront:{op}", "*", {})]
    m = re.fullmatch(r"/origin-access-identity/cloudfront/([^/]+)(/config)?", p)
    if m:
        ops = {
            ("", "GET"): "GetCloudFrontOriginAccessIdentity",
            ("", "DELETE"): "DeleteCloudFrontOriginAccessIdentity",
            ("/config", "GET"): "GetCloudFrontOriginAccessIdentityConfig",
            ("/config", "PUT"): "UpdateCloudFrontOriginAccessIdentity",
        }
        return [(f"cloudfront:{ops[(m.group(2) or '', method)]}", oai(m.group(1)), {})]
    return None


# S3 bucket subresources: the IAM action of GET / PUT / DELETE on each.
_S3_SUBRESOURCES = {
    "policy": ("GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    "acl": ("GetBucketAcl", "PutBucketAcl", None),
    "cors": ("GetBucketCORS", "PutBucketCORS", "PutBucketCORS"),
    "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    "versioning": ("GetBucketVersioning", "PutBucketVersioning", None),
    "accelerate": ("GetAccelerateConfiguration", "PutAccelerateConfiguration", None),
    "requestPayment": ("GetBucketRequestPayment", "PutBucketRequestPayment", None),
    "logging": ("GetBucketLogging", "PutBucketLogging", None),
    "lifecycle": ("GetLifecycleConfiguration", "PutLifecycleConfiguration", "PutLifecycleConfiguration"),
    "replication": ("GetReplicationConfiguration", "PutReplicationConfiguration", "PutReplicationConfiguration"),
    "encryption": ("GetEncryptionConfiguration", "PutEncryptionConfiguration", "PutEncryptionConfiguration"),
    "object-lock": ("GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration", None),
    "tagging": ("GetBucketTagging", "PutBucketTagging", "PutBucketTagging"),
    "ownershipControls": ("GetBucketOwnershipControls", "PutBucketOwnershipControls", "PutBucketOwnershipControls"),
    "publicAccessBlock": ("GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    "location": ("GetBucketLocation", None, None),
    "notification": ("GetBucketNotification", "PutBucketNotification", None),
}


def _s3(method, path, query, body):
    parts = path.lstrip("/").split("/", 1)
    bucket = unquote(parts[0])
    key = unquote(parts[1]) if len(parts) > 1 else ""
    bucket_arn = f"arn:{PARTITION}:s3:::{bucket}"
    if not bucket:
        return [("s3:ListAllMyBuckets", "*", {})]
    if key:
        version = "versionId" in query
        if method in ("GET", "HEAD"):
            return [("s3:GetObjectVersion" if version else "s3:GetObject", f"{bucket_arn}/{key}", {})]
        if method == "PUT":
            return [("s3:PutObject", f"{bucket_arn}/{key}", {})]
        if method == "DELETE":
            return [("s3:DeleteObjectVersion" if version else "s3:DeleteObject", f"{bucket_arn}/{key}", {})]
        return None
    if method == "POST" and "delete" in query:
        root = ElementTree.fromstring(body)
        calls = []
        for obj in (e for e in root.iter() if e.tag.split("}")[-1] == "Object"):
            name = next(e.text for e in obj if e.tag.split("}")[-1] == "Key")
            versioned = any(e.tag.split("}")[-1] == "VersionId" for e in obj)
            calls.append(("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", f"{bucket_arn}/{name}", {}))
        return calls
    for sub, (get, put, delete) in _S3_SUBRESOURCES.items():
        if sub in query:
            action = {"GET": get, "PUT": put, "DELETE": delete}.get(method)
            return [(f"s3:{action}", bucket_arn, {})] if action else None
    if "versions" in query:
        return [("s3:ListBucketVersions", bucket_arn, {})]
    if "uploads" in query:
        return [("s3:ListBucketMultipartUploads", bucket_arn, {})]
    action = {"PUT": "s3:CreateBucket", "HEAD": "s3:ListBucket", "GET": "s3:ListBucket", "DELETE": "s3:DeleteBucket"}.get(method)
    return [(action, bucket_arn, {})] if action else None


def _operation_name(headers, form):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    return (form.get("Action") or [None])[0]


def required(service, region, method, path, query, headers, body):
    """[(action, resource, context)] a request needs, or None when this layer cannot name them."""
    form = parse_qs(body.decode("utf-8", "replace")) if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded") else {}
    form = {**query, **form}
    try:
        json_body = json.loads(body) if body and headers.get("Content-Type", "").startswith(("application/x-amz-json", "application/json")) else {}
    except ValueError:
        json_body = {}
    op = _operation_name(headers, form)
    if service == "sts":
        return [("sts:GetCallerIdentity", "*", {})] if op == "GetCallerIdentity" else [(f"sts:{op}", "*", {})]
    if service == "iam":
        return _iam(op, form)
    if service == "sns":
        return _sns(op, form, region)
    if service == "logs":
        return _logs(op, json_body, region)
    if service == "events":
        return _events(op, json_body, region)
    if service in ("monitoring", "cloudwatch"):
        return _cloudwatch(op, json_body, region)
    if service == "lambda":
        return _lambda(method, path, json_body, region)
    if service == "route53":
        return _route53(method, path, body)
    if service == "cloudfront":
        return _cloudfront(method, path, query, body)
    if service == "s3":
        return _s3(method, path, query, body)
    return None


# --- the WSGI layer -----------------------------------------------------------------------------


def _denied_response(service, message):
    if service in ("logs", "events", "monitoring", "cloudwatch", "lambda"):
        body = json.dumps({"__type": "AccessDeniedException", "message": message, "Message": message})
        return "403 Forbidden", [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "AccessDeniedException")], body
    if service == "s3":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>{message}</Message></Error><RequestId>enforced</RequestId></ErrorResponse>"
        )
    return "403 Forbidden", [("Content-Type", "text/xml")], body


def _record(entry):
    path = os.environ.get("MOTO_CHINA_DECISIONS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


_dispatch = werkzeug_app.DomainDispatcherApplication.__call__


def _enforcing_call(self, environ, start_response):
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = re.search(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/", authorization)
    if not _enabled() or not scope or environ.get("PATH_INFO", "").startswith("/moto-api"):
        return _dispatch(self, environ, start_response)
    access_key, region, service = scope.groups()
    headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
    headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
    if "HTTP_X_AMZ_TARGET" in environ:
        headers["X-Amz-Target"] = environ["HTTP_X_AMZ_TARGET"]
    documents = _user_documents(access_key, headers)
    boundary = None
    if documents is None:
        role = _role_principal(access_key)
        if role is None:
            return _dispatch(self, environ, start_response)
        documents, boundary = role
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    needs = required(service, region, method, path, query, headers, body)
    entry = {"key": access_key, "service": service, "method": method, "path": path}
    if needs is None:
        _record({**entry, "allowed": False, "reason": "unmapped"})
        status, response_headers, text = _denied_response(service, f"unmapped request {method} {path}: denied")
        start_response(status, response_headers)
        return [text.encode()]
    for action, resource, context in needs:
        if action == "sts:GetCallerIdentity":
            allowed, reason = True, "needs no permission"
        else:
            allowed, reason = evaluate(documents, action, resource, context)
            if allowed and boundary is not None:
                within, why = evaluate([boundary], action, resource, context)
                allowed, reason = within, (reason if within else f"outside the permissions boundary: {why}")
        _record({**entry, "action": action, "resource": resource, "context": context, "allowed": allowed, "reason": reason})
        if not allowed:
            message = f"User is not authorized to perform: {action} on resource: {resource} ({reason})"
            status, response_headers, text = _denied_response(service, message)
            start_response(status, response_headers)
            return [text.encode()]
    return _dispatch(self, environ, start_response)


werkzeug_app.DomainDispatcherApplication.__call__ = _enforcing_call
