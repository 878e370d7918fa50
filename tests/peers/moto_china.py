"""moto's server, taught eleven facts of the aws-cn partition that moto 5.2.5 lacks.

- CloudFront in China takes S3 origins at the regional `<bucket>.s3.<region>.amazonaws.com.cn`
  domain (docs/china-rules.md, "S3 origin domain"); moto accepts S3 origins only under
  `amazonaws.com` and answers DomainNameNotAnS3Bucket. moto also drops the origin's
  S3OriginConfig (its Origin Access Identity) from its answers; CloudFront returns it.
- A distribution in aws-cn is named `<id>.cloudfront.cn`, not `.cloudfront.net`, and its id starts
  with "E" as CloudFront's do (moto draws any letter). With an IAM or ACM certificate it does not
  also report CloudFrontDefaultCertificate true (moto's default).
- Route 53 hosted zone ids start with "Z" (moto draws any letter), which the program checks.
- Bucket policies: moto applies a statement whatever its Condition, so the site bucket's standard
  "deny unless aws:SecureTransport" statement would deny every request. Clients reach real S3 over
  TLS (the SDK's endpoints are https), so a statement whose only condition is
  `{"Bool": {"aws:SecureTransport": "false"}}` does not apply to them; any other statement is
  evaluated by moto as before.
- An alias belongs to one distribution: creating or updating a distribution with an alias another
  one holds answers CNAMEAlreadyExists (409), as CloudFront does (docs/china-rules.md, aliases).
- CloudFront Origin Access Identities, the only origin access China offers (no OAC there), which
  moto does not implement: create, get, get/update config (ETag checked), delete (refused while a
  distribution's S3 origin uses it, CloudFrontOriginAccessIdentityInUse), list; the API's XML
  (CloudFront API reference 2020-05-31, "CreateCloudFrontOriginAccessIdentity" and siblings).
- IAM's server-certificate quota: moto reports 20 in GetAccountSummary but never refuses an upload.
  Here an upload past the quota answers LimitExceeded, as IAM does, and the quota is the account's
  raised one (MOTO_CHINA_SERVER_CERTIFICATES_QUOTA, default 1000: the whole suite shares one account
  and never deletes every certificate it uploads). A test that needs a full account lowers what
  GetAccountSummary reports through the fault proxy.
- UpdateServerCertificate, which moto does not implement: a server certificate moves to a new path
  and/or name, keeping its body, key and id (IAM API reference, UpdateServerCertificate); a name
  already taken answers EntityAlreadyExists, an unknown one NoSuchEntity.
- Server certificate expiry: moto reports every certificate as expiring 2012-05-08; IAM reports its
  notAfter (ServerCertificateMetadata.Expiration), which renewal and cleanup sort by. Here
  ListServerCertificates and GetServerCertificate report the certificate's own notAfter. (The
  UploadDate stays moto's fixed 2010 date: a known blind spot, docs/testing.md.)
- Server certificate tags, which moto drops: the Tags of UploadServerCertificate are kept and
  returned by GetServerCertificate and ListServerCertificateTags; TagServerCertificate adds or
  overwrites, UntagServerCertificate removes; more than 50 tags on one certificate answers
  LimitExceeded (IAM API reference, UploadServerCertificate, GetServerCertificate,
  TagServerCertificate; IAM User Guide, "IAM and AWS STS quotas": 50 tags per IAM resource).

- IAM's policy quotas (IAM User Guide, "IAM and AWS STS quotas"), which moto does not enforce: a
  managed policy (CreatePolicy, CreatePolicyVersion) holds at most 6,144 characters; the inline
  policies of one user 2,048 together, of one group 5,120, of one role 10,240; white space is not
  counted. An identity holds at most 10 managed policies (MOTO_CHINA_MANAGED_POLICIES_PER_IDENTITY:
  the quota an account raised, up to 20). Past any of them IAM answers LimitExceeded, and so does this.

With MOTO_CHINA_ENFORCE_IAM=1, requests signed by an IAM user's key are checked against that user's
identity policies by action, resource and condition (moto_enforce.py: moto's own switch checks by
action only).

Everything else is moto as released. Run as moto_server: python moto_china.py -H 127.0.0.1 -p PORT.
"""
import json
import os
import random
import string
import sys
import uuid
from xml.etree import ElementTree

from moto.cloudfront import models as cloudfront
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront import urls as cloudfront_urls
from moto.iam import models as iam
from cryptography import x509
from moto.core.responses import ActionResult, EmptyResult
from moto.iam import responses as iam_responses
from moto.iam.exceptions import EntityAlreadyExists, LimitExceededException
from moto.route53 import models as route53
from moto.s3 import models as s3
from moto.server import main
from moto.utilities.utils import get_partition

if os.environ.get("MOTO_CHINA_ENFORCE_IAM") == "1":
    import moto_enforce  # noqa: F401  (installs the enforcing WSGI layer)

_origin_init = cloudfront.Origin.__init__


def _origin_init_china(self, origin):
    domain = origin.get("DomainName", "")
    if "S3OriginConfig" in origin and domain.endswith(".amazonaws.com.cn"):
        _origin_init(self, dict(origin, DomainName=domain[: -len(".cn")]))
        self.domain_name = domain
    else:
        _origin_init(self, origin)
    if "S3OriginConfig" in origin:
        # moto keeps the identity but does not return it: return it as CloudFront does.
        self.s3_origin_config = {"OriginAccessIdentity": self.s3_access_identity}


_distribution_init = cloudfront.Distribution.__init__


def _distribution_init_china(self, account_id, region_name, config):
    _distribution_init(self, account_id, region_name, config)
    # CloudFront's distribution ids start with "E" (moto draws any letter), which the program checks.
    self.distribution_id = self.id = "E" + self.distribution_id[1:]
    self.arn = self.arn.rsplit("/", 1)[0] + "/" + self.distribution_id
    if get_partition(region_name) == "aws-cn":
        self.domain_name = self.domain_name.replace(".cloudfront.net", ".cloudfront.cn")


_viewer_certificate_init = cloudfront.ViewerCertificate.__init__


def _viewer_certificate_init_as_given(self, config):
    _viewer_certificate_init(self, config)
    # CloudFront reports its default certificate only when no IAM or ACM certificate is given.
    if self.iam_certificate_id or self.acm_certificate_arn:
        self.cloud_front_default_certificate = config.get("CloudFrontDefaultCertificate", False)


cloudfront.ViewerCertificate.__init__ = _viewer_certificate_init_as_given

_zone_id = route53.create_route53_zone_id


def _zone_id_like_route53(*args, **kwargs):
    return "Z" + _zone_id(*args, **kwargs)[1:]


route53.create_route53_zone_id = _zone_id_like_route53
cloudfront.Origin.__init__ = _origin_init_china
cloudfront.Distribution.__init__ = _distribution_init_china

_NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
_identities = {}  # id -> {"config": {"CallerReference", "Comment"}, "etag", "canonical"}


def _xml(body):
    return '<?xml version="1.0" encoding="UTF-8"?>' + body


def _error(status, code, message):
    body = _xml(f"<ErrorResponse xmlns=\"{_NS}\"><Error><Type>Sender</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, body


def _config_xml(config, namespace=True):
    from xml.sax.saxutils import escape
    xmlns = f' xmlns="{_NS}"' if namespace else ""
    return (f"<CloudFrontOriginAccessIdentityConfig{xmlns}><CallerReference>{escape(config['CallerReference'])}"
            f"</CallerReference><Comment>{escape(config['Comment'])}</Comment></CloudFrontOriginAccessIdentityConfig>")


def _identity_xml(oai_id):
    item = _identities[oai_id]
    return (f"<CloudFrontOriginAccessIdentity xmlns=\"{_NS}\"><Id>{oai_id}</Id><S3CanonicalUserId>{item['canonical']}"
            f"</S3CanonicalUserId>{_config_xml(item['config'], namespace=False)}</CloudFrontOriginAccessIdentity>")


def _parse_config(data):
    root = ElementTree.fromstring(data)
    find = lambda tag: root.findtext(f"{{{_NS}}}{tag}", root.findtext(tag, ""))
    return {"CallerReference": find("CallerReference") or "", "Comment": find("Comment") or ""}


def _in_use(oai_id):
    path = f"origin-access-identity/cloudfront/{oai_id}"
    for account in cloudfront.cloudfront_backends.values():
        for backend in account.values():
            for dist in backend.distributions.values():
                origins = dist.distribution_config.Origins.get("Items") or []
                if any(getattr(o, "s3_access_identity", None) == path for o in origins):
                    return True
    return False


def _new_etag():
    return "E" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(12))


def origin_access_identity(request, full_url, headers):
    parts = full_url.split("?")[0].rstrip("/").split("/origin-access-identity/cloudfront")[1].strip("/").split("/")
    oai_id = parts[0] if parts and parts[0] else None
    method = request.method
    data = getattr(request, "data", None) or getattr(request, "body", b"")
    if oai_id is None and method == "POST":
        oai_id = "E" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(13))
        _identities[oai_id] = {"config": _parse_config(data), "etag": _new_etag(), "canonical": uuid.uuid4().hex * 2}
        return 201, {"Content-Type": "text/xml", "ETag": _identities[oai_id]["etag"],
                     "Location": f"https://cloudfront.amazonaws.com/2020-05-31/origin-access-identity/cloudfront/{oai_id}"}, \
            _xml(_identity_xml(oai_id))
    if oai_id is None and method == "GET":
        items = "".join(f"<CloudFrontOriginAccessIdentitySummary><Id>{i}</Id><S3CanonicalUserId>{v['canonical']}</S3CanonicalUserId>"
                        f"<Comment>{v['config']['Comment']}</Comment></CloudFrontOriginAccessIdentitySummary>" for i, v in _identities.items())
        return 200, {"Content-Type": "text/xml"}, _xml(
            f"<CloudFrontOriginAccessIdentityList xmlns=\"{_NS}\"><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated>"
            f"<Quantity>{len(_identities)}</Quantity><Items>{items}</Items></CloudFrontOriginAccessIdentityList>")
    if oai_id not in _identities:
        return _error(404, "NoSuchCloudFrontOriginAccessIdentity", "The specified origin access identity does not exist.")
    item = _identities[oai_id]
    config_path = len(parts) > 1 and parts[1] == "config"
    if method == "GET":
        body = _config_xml(item["config"]) if config_path else _identity_xml(oai_id)
        return 200, {"Content-Type": "text/xml", "ETag": item["etag"]}, _xml(body)
    if_match = headers.get("If-Match") or headers.get("if-match")
    if not if_match:
        return _error(400, "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
    if if_match != item["etag"]:
        return _error(412, "PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.")
    if method == "PUT" and config_path:
        config = _parse_config(data)
        if config["CallerReference"] != item["config"]["CallerReference"]:
            return _error(400, "IllegalUpdate", "The CallerReference cannot be changed.")
        item["config"], item["etag"] = config, _new_etag()
        return 200, {"Content-Type": "text/xml", "ETag": item["etag"]}, _xml(_identity_xml(oai_id))
    if method == "DELETE" and not config_path:
        if _in_use(oai_id):
            return _error(409, "CloudFrontOriginAccessIdentityInUse", "The CloudFront origin access identity is still being used.")
        del _identities[oai_id]
        return 204, {}, ""
    return _error(400, "InvalidArgument", f"{method} is not supported here")


cloudfront_urls.url_paths["{0}/2020-05-31/origin-access-identity/cloudfront$"] = origin_access_identity
cloudfront_urls.url_paths["{0}/2020-05-31/origin-access-identity/cloudfront/(?P<oai_id>[^/]+)$"] = origin_access_identity
cloudfront_urls.url_paths["{0}/2020-05-31/origin-access-identity/cloudfront/(?P<oai_id>[^/]+)/config$"] = origin_access_identity

def _aliases(config):
    items = (config.get("Aliases") or {}).get("Items") or []
    if isinstance(items, dict):
        items = items.get("CNAME", [])
    return {items} if isinstance(items, str) else set(items)


def _check_aliases(backend, config, own_id=None):
    wanted = _aliases(config)
    for dist_id, dist in backend.distributions.items():
        # moto keeps the config's sections as attributes of its DistributionConfig.
        taken = wanted & _aliases({"Aliases": getattr(dist.distribution_config, "Aliases", None)})
        if dist_id != own_id and taken:
            raise CloudFrontException(
                "CNAMEAlreadyExists",
                f"One or more of the CNAMEs you provided are already associated with a different resource ({', '.join(sorted(taken))}).")


_create = cloudfront.CloudFrontBackend.create_distribution_with_tags
_update = cloudfront.CloudFrontBackend.update_distribution


def _create_checked(self, distribution_config, tags):
    _check_aliases(self, distribution_config)
    return _create(self, distribution_config, tags)


def _update_checked(self, dist_config, _id, if_match):
    _check_aliases(self, dist_config or {}, own_id=_id)
    return _update(self, dist_config, _id, if_match)


cloudfront.CloudFrontBackend.create_distribution_with_tags = _create_checked
cloudfront.CloudFrontBackend.update_distribution = _update_checked

_get_permission = s3.FakeBucket.get_permission
_INSECURE_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


def _get_permission_over_tls(self, action, resource):
    if self.policy is None:
        return _get_permission(self, action, resource)
    policy = json.loads(self.policy.decode())
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    kept = [st for st in statements if st.get("Condition") != _INSECURE_ONLY]
    original = self.policy
    try:
        self.policy = json.dumps({**policy, "Statement": kept}).encode()
        return _get_permission(self, action, resource)
    finally:
        self.policy = original


s3.FakeBucket.get_permission = _get_permission_over_tls

_SERVER_CERTIFICATES_QUOTA = int(os.environ.get("MOTO_CHINA_SERVER_CERTIFICATES_QUOTA", "1000"))
_summary_init = iam.AccountSummary.__init__


def _summary_init_raised(self, iam_backend):
    _summary_init(self, iam_backend)
    self._server_certificates_quota = _SERVER_CERTIFICATES_QUOTA


_upload_certificate = iam.IAMBackend.upload_server_certificate


def _upload_within_quota(self, *args, **kwargs):
    if len(self.certificates) >= self.account_summary._server_certificates_quota:
        raise LimitExceededException(
            f"Cannot exceed quota for ServerCertificatesPerAccount: {self.account_summary._server_certificates_quota}"
        )
    return _upload_certificate(self, *args, **kwargs)




def _update_server_certificate_backend(self, name, new_path=None, new_name=None):
    cert = self.get_server_certificate(name)  # NoSuchEntity when unknown
    if new_name and new_name != name and any(c.cert_name == new_name for c in self.certificates.values()):
        raise EntityAlreadyExists(f"The Server Certificate with name {new_name} already exists.")
    if new_path:
        cert.path = new_path
    if new_name:
        cert.cert_name = new_name


def _update_server_certificate_response(self):
    self.backend.update_server_certificate(
        self._get_param("ServerCertificateName"),
        new_path=self._get_param("NewPath"),
        new_name=self._get_param("NewServerCertificateName"),
    )
    return EmptyResult()


_TAGS_PER_RESOURCE = 50
_upload_server_certificate_response = iam_responses.IamResponse.upload_server_certificate


def _tags_of(cert):
    return getattr(cert, "china_tags", {})


def _set_tags(cert, tags):
    if len(tags) > _TAGS_PER_RESOURCE:
        raise LimitExceededException(f"Cannot exceed quota for TagsPerServerCertificate: {_TAGS_PER_RESOURCE}")
    cert.china_tags = tags


def _upload_server_certificate_with_tags(self):
    tags = {t["Key"]: t.get("Value", "") for t in self._get_param("Tags", [])}
    if len(tags) > _TAGS_PER_RESOURCE:
        raise LimitExceededException(f"Cannot exceed quota for TagsPerServerCertificate: {_TAGS_PER_RESOURCE}")
    result = _upload_server_certificate_response(self)
    _set_tags(self.backend.get_server_certificate(self._get_param("ServerCertificateName")), tags)
    return result


def _expiration(cert):
    """The certificate's notAfter, as IAM reports it (moto answers 2012-05-08 for every certificate)."""
    try:
        body = x509.load_pem_x509_certificate(cert.cert_body.encode())
        return body.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return "2012-05-08T01:02:03.004Z"


def _metadata(cert):
    return {
        "ServerCertificateName": cert.cert_name,
        "Path": cert.path,
        "Arn": cert.arn,
        "UploadDate": "2010-05-08T01:02:03.004Z",
        "ServerCertificateId": "ASCACKCEVSQ6C2EXAMPLE",
        "Expiration": _expiration(cert),
    }


def _list_server_certificates_expiring(self):
    certs = self.backend.list_server_certificates()
    return ActionResult({"ServerCertificateMetadataList": [_metadata(c) for c in certs], "IsTruncated": False})


def _get_server_certificate_with_tags(self):
    cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
    server_cert = {
        "ServerCertificateMetadata": _metadata(cert),
        "CertificateBody": cert.cert_body,
        "Tags": [{"Key": k, "Value": v} for k, v in _tags_of(cert).items()],
    }
    if cert.cert_chain:
        server_cert["CertificateChain"] = cert.cert_chain
    return ActionResult({"ServerCertificate": server_cert})


def _tag_server_certificate(self):
    cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
    added = {t["Key"]: t.get("Value", "") for t in self._get_param("Tags", [])}
    _set_tags(cert, {**_tags_of(cert), **added})
    return EmptyResult()


def _untag_server_certificate(self):
    cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
    removed = set(self._get_param("TagKeys", []))
    _set_tags(cert, {k: v for k, v in _tags_of(cert).items() if k not in removed})
    return EmptyResult()


def _list_server_certificate_tags(self):
    cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
    return ActionResult({"Tags": [{"Key": k, "Value": v} for k, v in _tags_of(cert).items()], "IsTruncated": False})


_MANAGED_POLICY_CHARACTERS = 6144
_INLINE_CHARACTERS = {"user": 2048, "group": 5120, "role": 10240}
_MANAGED_POLICIES_PER_IDENTITY = int(os.environ.get("MOTO_CHINA_MANAGED_POLICIES_PER_IDENTITY", "10"))


def _characters(document):
    """What IAM counts: the document without white space."""
    return len("".join(document.split()))


def _managed_policy_within_quota(method):
    def checked(self, *args, **kwargs):
        document = kwargs.get("policy_document")
        if document is None:
            document = args[2] if method.__name__ == "create_policy" else args[1]
        if _characters(document) > _MANAGED_POLICY_CHARACTERS:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {_MANAGED_POLICY_CHARACTERS}")
        return method(self, *args, **kwargs)

    return checked


def _inline_within_quota(kind, method, get_identity):
    def checked(self, name, policy_name, policy_json):
        identity = get_identity(self, name)
        others = {k: v for k, v in identity.policies.items() if k != policy_name}
        total = sum(_characters(v) for v in others.values()) + _characters(policy_json)
        if total > _INLINE_CHARACTERS[kind]:
            raise LimitExceededException(f"Maximum policy size of {_INLINE_CHARACTERS[kind]} bytes exceeded for {kind} {name}")
        return method(self, name, policy_name, policy_json)

    return checked


def _attach_within_quota(kind, method, get_identity):
    def checked(self, policy_arn, name):
        identity = get_identity(self, name)
        if policy_arn not in identity.managed_policies and len(identity.managed_policies) >= _MANAGED_POLICIES_PER_IDENTITY:
            raise LimitExceededException(f"Cannot exceed quota for PoliciesPer{kind.title()}: {_MANAGED_POLICIES_PER_IDENTITY}")
        return method(self, policy_arn, name)

    return checked


iam.IAMBackend.create_policy = _managed_policy_within_quota(iam.IAMBackend.create_policy)
iam.IAMBackend.create_policy_version = _managed_policy_within_quota(iam.IAMBackend.create_policy_version)
iam.IAMBackend.put_user_policy = _inline_within_quota("user", iam.IAMBackend.put_user_policy, iam.IAMBackend.get_user)
iam.IAMBackend.put_group_policy = _inline_within_quota("group", iam.IAMBackend.put_group_policy, iam.IAMBackend.get_group)
iam.IAMBackend.put_role_policy = _inline_within_quota("role", iam.IAMBackend.put_role_policy, iam.IAMBackend.get_role)
iam.IAMBackend.attach_user_policy = _attach_within_quota("user", iam.IAMBackend.attach_user_policy, iam.IAMBackend.get_user)
iam.IAMBackend.attach_group_policy = _attach_within_quota("group", iam.IAMBackend.attach_group_policy, iam.IAMBackend.get_group)
iam.IAMBackend.attach_role_policy = _attach_within_quota("role", iam.IAMBackend.attach_role_policy, iam.IAMBackend.get_role)
iam.IAMBackend.update_server_certificate = _update_server_certificate_backend
iam_responses.IamResponse.update_server_certificate = _update_server_certificate_response
iam_responses.IamResponse.upload_server_certificate = _upload_server_certificate_with_tags
iam_responses.IamResponse.get_server_certificate = _get_server_certificate_with_tags
iam_responses.IamResponse.list_server_certificates = _list_server_certificates_expiring
iam_responses.IamResponse.tag_server_certificate = _tag_server_certificate
iam_responses.IamResponse.untag_server_certificate = _untag_server_certificate
iam_responses.IamResponse.list_server_certificate_tags = _list_server_certificate_tags
iam.AccountSummary.__init__ = _summary_init_raised
iam.IAMBackend.upload_server_certificate = _upload_within_quota

if __name__ == "__main__":
    sys.exit(main())
