"""The calendar feed's secret (SECURITY.md #33): random, stored hashed, bound to the password.

A phone cannot sign in to fetch a subscription, so the URL itself is the credential. It is
``secrets.token_urlsafe(32)`` — nothing derived from a database id — and only its SHA-256 is
stored, so the link can be shown once and never again. The stamp is an HMAC of the user's
password hash: a password change or reset rewrites that hash, and every older link dies.
"""

import hashlib
import secrets

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.crypto import constant_time_compare, salted_hmac

STAMP_SALT = "attendance.calendar-feed.password"


def new_token() -> str:
    """A fresh secret for the feed URL: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps: looking the hash up needs no secret comparison in Python."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_stamp(user: AbstractBaseUser) -> str:
    """An HMAC (keyed by SECRET_KEY) of the current password hash, never the hash itself."""
    return salted_hmac(STAMP_SALT, user.password, algorithm="sha256").hexdigest()


def stamp_matches(user: AbstractBaseUser, stamp: str) -> bool:
    """False once the password was changed or reset since the link was made."""
    return constant_time_compare(password_stamp(user), stamp)
