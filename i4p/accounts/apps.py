"""App config of accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "i4p.accounts"
    label = "accounts"
    verbose_name = "Accounts"
