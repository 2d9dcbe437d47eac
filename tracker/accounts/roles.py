"""Our roles from the organisation's identity provider: a claim (by default `groups`) whose
values TRACKER_OIDC_ROLE_MAP maps to the Analysts and Managers groups."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured

from ..models import ROLE_GROUPS


def check_role_map(role_map):
    wrong = sorted(set(role_map.values()) - set(ROLE_GROUPS))
    if wrong:
        raise ImproperlyConfigured(
            f"OIDC_ROLE_MAP may only name {' or '.join(ROLE_GROUPS)}, not {', '.join(wrong)}"
        )


def claims_of(sociallogin):
    """The ID token's claims, overlaid with the userinfo endpoint's answer."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def roles_from_claims(claims):
    value = claims.get(settings.TRACKER_OIDC_ROLE_CLAIM)
    if isinstance(value, str):
        value = value.split()  # some providers send one space-separated string
    if not isinstance(value, list):
        return set()
    role_map = settings.TRACKER_OIDC_ROLE_MAP
    check_role_map(role_map)
    return {role_map[v] for v in value if isinstance(v, str) and v in role_map}


def set_roles(user, roles):
    """Make the user's role groups exactly `roles` (other groups are left alone); returns
    whether anything changed. Staff and superuser status never come from the provider."""
    current = set(user.groups.filter(name__in=ROLE_GROUPS).values_list("name", flat=True))
    if current == roles:
        return False
    user.groups.remove(*Group.objects.filter(name__in=current - roles))
    user.groups.add(*Group.objects.filter(name__in=roles - current))
    user.__dict__.pop("_tracker_groups", None)
    return True
