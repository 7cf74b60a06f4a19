"""The roles of the registry, as Django permissions and groups."""

OFFICERS_GROUP = "Ministry officers"
# Permissions of the officers' group (companies.Company Meta.permissions).
VERIFY_PERMISSION = "companies.verify_company"
VIEW_SENSITIVE_PERMISSION = "companies.view_sensitive_company_data"


def is_officer(user) -> bool:
    """A ministry officer: may verify, reject, suspend and reinstate companies and read sensitive data."""
    return bool(user and user.is_authenticated and user.has_perm(VERIFY_PERMISSION))
