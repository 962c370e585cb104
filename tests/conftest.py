import numba
import pytest


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (long statistical tests)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (make test-slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def threads():
    """Set numba's thread count inside a test and restore it afterwards."""
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


@pytest.fixture(autouse=True, scope="session")
def _private_table_cache():
    """Tests build pricing tables into their own cache, never the user's ~/.cache/alvh.

    The cache lives in ``tests/.table_cache/<digest>``, where the digest covers every source
    file of the model and pricing layers: a warm ``make test`` reuses tables built by an
    earlier run of the same code, and any change to that code starts a fresh cache (a fresh
    clone, as in CI, always builds them)."""
    import hashlib
    import os
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "simulator"
    digest = hashlib.sha256()
    for source in sorted([*package.glob("model/*.py"), *package.glob("pricing/*.py"),
                          *package.glob("common/*.py")]):
        digest.update(source.name.encode() + source.read_bytes())
    folder = Path(__file__).resolve().parent / ".table_cache" / digest.hexdigest()[:16]
    for stale in folder.parent.glob("*"):  # tables of code that has changed since
        if stale != folder and stale.is_dir():
            import shutil

            shutil.rmtree(stale, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    before = os.environ.get("ALVH_CACHE_DIR")
    os.environ["ALVH_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("ALVH_CACHE_DIR", None)
    else:
        os.environ["ALVH_CACHE_DIR"] = before
