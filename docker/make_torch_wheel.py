#!/usr/bin/env python3
"""A torch wheel made from Debian's libtorch, with the real wheel's layout, for tests and the
demo (nothing is downloaded: PyPI is out of reach here).

    docker/make_torch_wheel.py DIR   -> prints the wheelhouse DIR/torch-wheelhouse-<key>

The wheel, torch-<version>-py3-none-manylinux2014_x86_64.whl, holds what a PyPI torch wheel
holds for C++ consumers:
  torch/include/                      the headers (ATen, c10, caffe2, torch)
  torch/lib/                          libtorch*.so, libc10.so and, as auditwheel does, every
                                      library they need beyond the manylinux2014 policy's
                                      (glibc, libstdc++, libgcc_s), with RUNPATH $ORIGIN
  torch/share/cmake/Torch/            TorchConfig.cmake, relocatable like the real one:
                                      TORCH_INSTALL_PREFIX four levels up, the imported target
                                      `torch`, TORCH_LIBRARIES, TORCH_INCLUDE_DIRS, and
                                      TORCH_CXX_FLAGS with the _GLIBCXX_USE_CXX11_ABI value the
                                      libraries were built with
  torch-<version>.dist-info/          METADATA, WHEEL, top_level.txt, RECORD
It has no Python module (torch/__init__.py raises ImportError saying so). Deterministic
(sorted, stored, fixed times), so its sha256 is stable and a lock that pins it stays valid;
cached by the libtorch package's version and this script's hash.
"""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

MULTIARCH = "/usr/lib/x86_64-linux-gnu"
# The manylinux2014 policy's libraries: the system provides them, a wheel must not.
POLICY = re.compile(r"^(ld-linux.*|linux-vdso.*|libc|libm|libdl|librt|libpthread|libstdc\+\+|"
                    r"libgcc_s|libutil|libresolv|libcrypt|libnsl)\.so")
HEADERS = ["ATen", "c10", "caffe2", "torch"]


def sh(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def deb_version():
    out = sh("dpkg-query", "-W", "-f=${Version}", "libtorch-dev")
    return out.strip()


def closure(libs):
    """soname -> path for every library the given ones need, policy libraries left out."""
    found = {}
    for lib in libs:
        for line in sh("ldd", lib).splitlines():
            m = re.match(r"\s*(\S+) => (/\S+)", line)
            if m and not POLICY.match(m.group(1)):
                found[m.group(1)] = m.group(2)
    return found


TORCH_CONFIG = r'''# TorchConfig.cmake of mlbox's test wheel (Debian's libtorch {version}); the same contract
# as the one in PyPI's torch wheels:
#   Torch_FOUND, TORCH_INCLUDE_DIRS, TORCH_LIBRARIES, TORCH_CXX_FLAGS, imported target torch.
get_filename_component(TORCH_INSTALL_PREFIX "${{CMAKE_CURRENT_LIST_DIR}}/../../../" ABSOLUTE)
set(TORCH_INCLUDE_DIRS
  ${{TORCH_INSTALL_PREFIX}}/include
  ${{TORCH_INSTALL_PREFIX}}/include/torch/csrc/api/include)
if(NOT TARGET torch)
  add_library(c10 SHARED IMPORTED)
  set_target_properties(c10 PROPERTIES IMPORTED_LOCATION "${{TORCH_INSTALL_PREFIX}}/lib/{c10}")
  add_library(torch_cpu SHARED IMPORTED)
  set_target_properties(torch_cpu PROPERTIES
    IMPORTED_LOCATION "${{TORCH_INSTALL_PREFIX}}/lib/{torch_cpu}"
    INTERFACE_LINK_LIBRARIES c10)
  add_library(torch SHARED IMPORTED)
  set_target_properties(torch PROPERTIES
    IMPORTED_LOCATION "${{TORCH_INSTALL_PREFIX}}/lib/{torch}"
    INTERFACE_LINK_LIBRARIES "torch_cpu;c10"
    INTERFACE_INCLUDE_DIRECTORIES "${{TORCH_INCLUDE_DIRS}}")
endif()
set(TORCH_LIBRARIES torch torch_cpu c10)
# When we build libtorch with the old libstdc++ ABI, dependent libraries must too.
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI={abi}")
set_property(TARGET torch PROPERTY INTERFACE_COMPILE_OPTIONS "${{TORCH_CXX_FLAGS}}")
find_library(TORCH_LIBRARY torch PATHS "${{TORCH_INSTALL_PREFIX}}/lib" NO_DEFAULT_PATH)
set(TORCH_LIBRARY "${{TORCH_INSTALL_PREFIX}}/lib/{torch}")
set(Torch_FOUND TRUE)
'''

TORCH_CONFIG_VERSION = r'''set(PACKAGE_VERSION "{version}")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
'''


def build(stage, version, abi):
    root = os.path.join(stage, "torch")
    lib = os.path.join(root, "lib")
    os.makedirs(lib)
    for h in HEADERS:
        shutil.copytree(os.path.join("/usr/include", h), os.path.join(root, "include", h),
                        symlinks=False)
    sonames = {}
    for name in ("torch", "torch_cpu", "c10"):
        real = os.path.realpath(os.path.join(MULTIARCH, f"lib{name}.so"))
        soname = re.search(r"SONAME\)\s+Library soname: \[(.+)\]", sh("readelf", "-d", real)).group(1)
        sonames[name] = soname
        shutil.copyfile(real, os.path.join(lib, soname))
    for soname, path in sorted(closure([os.path.join(lib, s) for s in sonames.values()]).items()):
        dest = os.path.join(lib, soname)
        if not os.path.exists(dest):
            shutil.copyfile(os.path.realpath(path), dest)
    libs = sorted(os.path.join(lib, f) for f in os.listdir(lib))
    for i in range(0, len(libs), 64):
        sh("patchelf", "--set-rpath", "$ORIGIN", *libs[i:i + 64])
    cmake = os.path.join(root, "share", "cmake", "Torch")
    os.makedirs(cmake)
    with open(os.path.join(cmake, "TorchConfig.cmake"), "w") as f:
        f.write(TORCH_CONFIG.format(version=version, abi=abi, **sonames))
    with open(os.path.join(cmake, "TorchConfigVersion.cmake"), "w") as f:
        f.write(TORCH_CONFIG_VERSION.format(version=version))
    with open(os.path.join(root, "__init__.py"), "w") as f:
        f.write('raise ImportError("this torch wheel is mlbox\'s test fixture: Debian\'s libtorch '
                'for C++ consumers, without the Python module")\n')
    with open(os.path.join(root, "version.py"), "w") as f:
        f.write(f'__version__ = "{version}"\n')
    info = os.path.join(stage, f"torch-{version}.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n"
                "Summary: Debian's libtorch packaged as a wheel (mlbox test fixture)\n"
                "License: BSD-3-Clause\n")
    with open(os.path.join(info, "WHEEL"), "w") as f:
        f.write("Wheel-Version: 1.0\nGenerator: mlbox make_torch_wheel.py\nRoot-Is-Purelib: false\n"
                "Tag: py3-none-manylinux2014_x86_64\n")
    with open(os.path.join(info, "top_level.txt"), "w") as f:
        f.write("torch\n")


def write_wheel(stage, path, version):
    files = []
    for d, _, names in os.walk(stage):
        for n in names:
            files.append(os.path.relpath(os.path.join(d, n), stage))
    record_name = f"torch-{version}.dist-info/RECORD"
    files = sorted(f for f in files if f != record_name)
    record = []
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        for rel in files:
            full = os.path.join(stage, rel)
            with open(full, "rb") as f:
                data = f.read()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{rel},sha256={digest},{len(data)}")
            info = zipfile.ZipInfo(rel, date_time=(1980, 1, 1, 0, 0, 0))
            mode = 0o755 if os.access(full, os.X_OK) or ".so" in rel else 0o644
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, data)
        record.append(f"{record_name},,")
        info = zipfile.ZipInfo(record_name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (0o100644) << 16
        z.writestr(info, "\n".join(record) + "\n")
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_torch_wheel.py DIR")
    out = sys.argv[1]
    for tool in ("patchelf", "readelf", "ldd", "dpkg-query"):
        if not shutil.which(tool):
            sys.exit(f"make_torch_wheel.py: {tool} is missing (apt-get install patchelf binutils)")
    if not os.path.exists(os.path.join(MULTIARCH, "libtorch.so")):
        sys.exit("make_torch_wheel.py: Debian's libtorch is not installed (apt-get install libtorch-dev)")
    deb = deb_version()
    version = deb.split("+")[0].split("-")[0]
    with open(__file__, "rb") as f:
        key = hashlib.sha256((deb + "\n").encode() + f.read()).hexdigest()[:12]
    house = os.path.join(out, f"torch-wheelhouse-{key}")
    wheel = os.path.join(house, f"torch-{version}-py3-none-manylinux2014_x86_64.whl")
    if not os.path.exists(wheel):
        os.makedirs(house, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=house, prefix=".stage-") as stage:
            build(stage, version, 1)
            write_wheel(stage, wheel, version)
    print(house)


if __name__ == "__main__":
    main()
