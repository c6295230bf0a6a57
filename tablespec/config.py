"""Project configuration: where the project root and warehouse are, and how to reach storage.

Precedence for the warehouse root (README, "Configuration and storage"): ``--warehouse`` option, ``TABLESPEC_WAREHOUSE``,
``warehouse:`` in ``tablespec.yaml``, else ``warehouse/`` in the project root. Storage settings and
credentials come from the environment, optionally overridden by ``storage:`` in ``tablespec.yaml``
(whose values may refer to ``${VAR}``). Secrets never leave this module unredacted: use
:func:`redact` (with :meth:`Config.secrets`) on anything that is printed or raised.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from tablespec.errors import ConfigError, UsageError
from tablespec.interpolate import BadReference, MissingVariable, interpolate

CONFIG_FILE = "tablespec.yaml"
DEFAULT_SPECS = "specs"
DEFAULT_WAREHOUSE = "warehouse"

# Environment variables that feed S3 storage options, and the deltalake option each becomes.
_S3_ENV = {
    "AWS_ENDPOINT_URL": "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN": "AWS_SESSION_TOKEN",
    "AWS_REGION": "AWS_REGION",
    "AWS_DEFAULT_REGION": "AWS_REGION",
    "AWS_ALLOW_HTTP": "AWS_ALLOW_HTTP",
    "AWS_S3_ALLOW_UNSAFE_RENAME": "AWS_S3_ALLOW_UNSAFE_RENAME",
    "AWS_CONDITIONAL_PUT": "AWS_CONDITIONAL_PUT",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
}
# Object-store client limits (object_store's names; any can be overridden under storage:). Its own
# defaults retry a store that accepts connections and never answers for about 3 minutes (issue
# 13.7); these give up after about 20 s with an error naming the endpoint. ``timeout`` bounds a
# whole request, body included: raise it for very large files on a slow link.
CLIENT_DEFAULTS = {"timeout": "10s", "connect_timeout": "5s", "max_retries": "3", "retry_timeout": "20s"}
# URI schemes a table or warehouse may use: local folders and S3 (PRODUCT.md), and the other object
# stores deltalake reaches when their options are given under storage: in tablespec.yaml.
KNOWN_SCHEMES = ("file", "s3", "s3a", "gs", "az", "abfs", "abfss")
_SECRET_KEYS = ("SECRET", "TOKEN", "PASSWORD", "ACCESS_KEY_ID", "CREDENTIAL")
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    """The one secret detector: a setting or variable whose name says it holds a credential."""
    upper = key.upper()
    return any(marker in upper for marker in _SECRET_KEYS)


def secret_values(settings: Mapping[str, str]) -> list[str]:
    """The values of ``settings`` that are secrets (long enough to redact without mangling text)."""
    return [v for k, v in settings.items() if is_secret_key(k) and v and len(v) >= 4]


def is_secret_variable(name: str, value: str | None, env: Mapping[str, str]) -> bool:
    """Whether ``${name}`` would put a secret into a spec: a credential variable (by name, the same
    rule that redacts them), or any variable whose value is one of those secrets."""
    return is_secret_key(name) or (value is not None and len(value) >= 4 and value in secret_values(env))


def find_project_root(start: Path | None = None) -> Path:
    """Nearest folder from ``start`` upwards holding tablespec.yaml, else ``start`` itself."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return here


def unknown_scheme(uri: str) -> str | None:
    """The scheme of ``uri`` if tablespec cannot reach it (``foo`` of ``foo://x``), else None."""
    if "://" not in uri:
        return None
    scheme = uri.split("://", 1)[0].lower()
    return None if scheme in KNOWN_SCHEMES else scheme


def known_schemes_text() -> str:
    return ", ".join(f"{s}://" for s in KNOWN_SCHEMES) + " or a local path"


def is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://"))


def local_path(uri: str) -> Path:
    """The filesystem path of a local table URI (``file://`` or a plain path)."""
    if uri.startswith("file://"):
        return Path(urlparse(uri).path)
    return Path(uri)


@dataclass(frozen=True)
class Config:
    """Resolved project settings; cheap to build, no storage access."""

    root: Path
    warehouse: str
    storage: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def resolve_location(self, location: str) -> str:
        """A spec's ``location`` as a table URI: absolute ones as is, relative under the warehouse."""
        if "://" in location:
            return location.rstrip("/") if is_remote(location) else str(local_path(location))
        if os.path.isabs(location):
            return os.path.normpath(location)
        if is_remote(self.warehouse):
            return self.warehouse.rstrip("/") + "/" + location.strip("/")
        return os.path.normpath(os.path.join(self.warehouse, location))

    def storage_options(self, uri: str) -> dict[str, str]:
        """deltalake storage options for one table URI: none for local folders."""
        if not is_remote(uri):
            return {}
        options: dict[str, str] = {}
        if is_s3(uri):
            for env_key, option in _S3_ENV.items():
                value = self.env.get(env_key)
                if value and option not in options:
                    options[option] = value
            endpoint = options.get("AWS_ENDPOINT_URL", "")
            if endpoint.startswith("http://") and "AWS_ALLOW_HTTP" not in options:
                options["AWS_ALLOW_HTTP"] = "true"
            options.setdefault("AWS_REGION", "us-east-1")
        options.update(self.storage)
        return with_client_defaults(options)

    def secrets(self) -> list[str]:
        """Every secret this configuration knows (environment and ``storage:``), longest first."""
        return sorted(set(secret_values(self.env) + secret_values(self.storage)), key=len, reverse=True)


def with_client_defaults(options: Mapping[str, str]) -> dict[str, str]:
    """``options`` plus the :data:`CLIENT_DEFAULTS` it does not set itself (keys in any case)."""
    given = {k.lower() for k in options}
    return {**{k: v for k, v in CLIENT_DEFAULTS.items() if k not in given}, **options}


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every secret (default: the environment's) and URL password replaced by ``***``."""
    if secrets is None:
        secrets = secret_values(os.environ)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _URL_USERINFO.sub(lambda m: m.group("scheme") + "***@", text)


def load_config(
    *,
    start: Path | None = None,
    warehouse: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Find the project root and read its optional tablespec.yaml."""
    env = dict(os.environ if env is None else env)
    root = find_project_root(start)
    settings = _read_config_file(root / CONFIG_FILE, env)
    chosen = warehouse or env.get("TABLESPEC_WAREHOUSE") or settings.get("warehouse") or DEFAULT_WAREHOUSE
    if not isinstance(chosen, str):
        raise ConfigError(f"{root / CONFIG_FILE}: 'warehouse' must be a string")
    scheme = unknown_scheme(chosen)
    if scheme is not None:
        where = ("--warehouse" if warehouse else "TABLESPEC_WAREHOUSE" if env.get("TABLESPEC_WAREHOUSE")
                 else f"{root / CONFIG_FILE}: warehouse")
        error = UsageError if warehouse else ConfigError
        raise error(f"{where} {chosen}: unknown scheme {scheme}://", hint=f"use {known_schemes_text()}")
    if not is_remote(chosen) and not chosen.startswith("file://") and not os.path.isabs(chosen):
        chosen = os.path.normpath(os.path.join(root, chosen))
    elif chosen.startswith("file://"):
        chosen = str(local_path(chosen))
    storage = settings.get("storage") or {}
    if not isinstance(storage, dict) or not all(isinstance(v, (str, int, bool)) for v in storage.values()):
        raise ConfigError(f"{root / CONFIG_FILE}: 'storage' must map option names to string values")
    return Config(
        root=root,
        warehouse=chosen.rstrip("/") if is_remote(chosen) else chosen,
        storage={str(k): _as_option(v) for k, v in storage.items()},
        env=env,
    )


def _as_option(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _read_config_file(path: Path, env: Mapping[str, str]) -> dict[str, object]:
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'warehouse' and/or 'storage'")
    unknown = sorted(set(data) - {"warehouse", "storage", "specs"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}",
            hint="tablespec.yaml may hold 'warehouse', 'specs' and 'storage'",
        )

    def expand(value: object) -> object:
        if isinstance(value, str):
            try:
                return interpolate(value, env)
            except MissingVariable as e:
                raise ConfigError(
                    f"{path}: environment variable {e.name} is not set",
                    hint=f"export {e.name}=... or write ${{{e.name}:-default}}",
                ) from e
            except BadReference as e:
                raise ConfigError(f"{path}: {e}") from e
        if isinstance(value, dict):
            return {k: expand(v) for k, v in value.items()}
        return value

    return {k: expand(v) for k, v in data.items()}
