"""The roles of the registry, as Django permissions and groups."""

OFFICERS_GROUP = "Ministry officers"
# Permissions of the officers' group (companies.Company Meta.permissions).
VERIFY_PERMISSION = "companies.verify_company"
VIEW_SENSITIVE_PERMISSION = "companies.view_sensitive_company_data"


def acts_through_api_key(user) -> bool:
    """Whether this request's user is acting through a third-party app's API key (set by the API's
    authentication): such requests read the public view, never sensitive fields, whoever owns the key."""
    return getattr(user, "acting_through_api_key", False)


def is_officer(user) -> bool:
    """A ministry officer: may verify, reject, suspend and reinstate companies and read sensitive data."""
    return bool(user and user.is_authenticated and user.has_perm(VERIFY_PERMISSION))
