from __future__ import annotations

from pathlib import Path

import pytest

from tablespec.config import load_config, redact
from tablespec.errors import ConfigError
from tablespec.interpolate import BadReference, MissingVariable, interpolate


def test_interpolation() -> None:
    env = {"A": "x", "EMPTY": ""}
    assert interpolate("${A}/${B:-dflt}/$${A}", env) == "x/dflt/${A}"
    assert interpolate("${EMPTY:-d}", env) == "d"
    assert interpolate("no refs", env) == "no refs"
    with pytest.raises(MissingVariable) as e:
        interpolate("${MISSING}", env)
    assert e.value.name == "MISSING"
    with pytest.raises(BadReference):
        interpolate("${1x}", env)


def test_project_root_is_nearest_folder_with_config(tmp_path: Path) -> None:
    (tmp_path / "tablespec.yaml").write_text("warehouse: lake\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    config = load_config(start=deep, env={})
    assert config.root == tmp_path
    assert config.warehouse == str(tmp_path / "lake")


def test_warehouse_precedence(tmp_path: Path) -> None:
    (tmp_path / "tablespec.yaml").write_text("warehouse: from-file\n")
    assert load_config(start=tmp_path, env={}).warehouse == str(tmp_path / "from-file")
    env = {"TABLESPEC_WAREHOUSE": "s3://lake/prod/"}
    assert load_config(start=tmp_path, env=env).warehouse == "s3://lake/prod"
    assert load_config(start=tmp_path, env=env, warehouse="/abs/wh").warehouse == "/abs/wh"


def test_default_warehouse_without_config(tmp_path: Path) -> None:
    assert load_config(start=tmp_path, env={}).warehouse == str(tmp_path / "warehouse")


def test_resolve_location(tmp_path: Path) -> None:
    local = load_config(start=tmp_path, env={})
    assert local.resolve_location("sales/orders") == str(tmp_path / "warehouse" / "sales" / "orders")
    assert local.resolve_location("/data/t") == "/data/t"
    assert local.resolve_location("file:///data/t") == "/data/t"
    assert local.resolve_location("s3://b/p/") == "s3://b/p"
    remote = load_config(start=tmp_path, env={"TABLESPEC_WAREHOUSE": "s3://lake/dev"})
    assert remote.resolve_location("sales/orders") == "s3://lake/dev/sales/orders"


def test_storage_options_from_env(tmp_path: Path) -> None:
    env = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ACCESS_KEY_ID": "minioadmin",
        "AWS_SECRET_ACCESS_KEY": "supersecret",
    }
    config = load_config(start=tmp_path, env=env)
    assert config.storage_options(str(tmp_path / "t")) == {}
    options = config.storage_options("s3://lake/t")
    assert options["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000"
    assert options["AWS_ALLOW_HTTP"] == "true"
    assert options["AWS_REGION"] == "us-east-1"
    assert options["AWS_SECRET_ACCESS_KEY"] == "supersecret"


def test_config_file_storage_refers_to_env(tmp_path: Path) -> None:
    (tmp_path / "tablespec.yaml").write_text("storage:\n  AWS_SECRET_ACCESS_KEY: ${MY_SECRET}\n  AWS_ALLOW_HTTP: true\n")
    config = load_config(start=tmp_path, env={"MY_SECRET": "hunter22"})
    assert config.storage_options("s3://b/t")["AWS_SECRET_ACCESS_KEY"] == "hunter22"
    assert config.storage_options("s3://b/t")["AWS_ALLOW_HTTP"] == "true"
    assert redact("failed with key hunter22", config.secrets()) == "failed with key ***"


def test_config_file_errors(tmp_path: Path) -> None:
    (tmp_path / "tablespec.yaml").write_text("storage:\n  KEY: ${NOT_SET}\n")
    with pytest.raises(ConfigError, match="NOT_SET is not set"):
        load_config(start=tmp_path, env={})
    (tmp_path / "tablespec.yaml").write_text("wharehouse: x\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(start=tmp_path, env={})
    (tmp_path / "tablespec.yaml").write_text("warehouse: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(start=tmp_path, env={})


def test_redact_secrets_and_url_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3tvalue")
    assert redact("key s3cr3tvalue leaked") == "key *** leaked"
    assert redact("s3://user:pass@host/bucket", []) == "s3://***@host/bucket"
