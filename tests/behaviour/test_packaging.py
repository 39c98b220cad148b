import subprocess
import sys


def test_importing_the_package_does_not_load_llama_cpp():
    code = (
        "import sys, oci_magic, oci_magic.jupyter.magics, oci_magic.loop.run\n"
        "assert 'llama_cpp' not in sys.modules, 'llama_cpp imported'\n"
        "print(oci_magic.__version__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == oci_magic_version()


def oci_magic_version() -> str:
    from importlib.metadata import version

    return version("oci-magic")


def test_the_jupyterlab_extension_is_installed_and_enabled():
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True
    )
    listing = [line for line in (done.stdout + done.stderr).splitlines() if "oci-magic" in line]
    assert listing, done.stdout + done.stderr
    assert "enabled" in listing[0] and "OK" in listing[0] and oci_magic_version() in listing[0]
