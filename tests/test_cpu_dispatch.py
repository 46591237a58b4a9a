"""The x86 target decision of dispatch.c, on made-up CPUs.

``nprelu._ufuncs._x86_levels`` runs the compiled decision (the same C function
the import uses) on register values given here, so the cases that cannot be
produced on the test machine are checked all the same: a hypervisor that caps
the CPUID leaves but leaves stale leaf-7 bits, an OS that does not save the
AVX-512 registers, and macOS, whose XCR0 shows AVX-512 state off until a thread
first uses it (the decision then follows ``sysctl hw.optional.avx512f``).

The feature bits are spelled out from the Intel SDM (CPUID leaf 1 ECX, leaf 7
EBX, leaf 0x80000001 ECX; XCR0), independently of dispatch.c's own masks.
"""

from __future__ import annotations

import pytest

from nprelu import _ufuncs

if not hasattr(_ufuncs, "_x86_levels"):
    pytest.skip("this build of nprelu._ufuncs has no _x86_levels test hook",
                allow_module_level=True)

# CPUID.1:ECX
SSE3, SSSE3, FMA, CX16, SSE41, SSE42, MOVBE, POPCNT, OSXSAVE, AVX, F16C = (
    1 << b for b in (0, 9, 12, 13, 19, 20, 22, 23, 27, 28, 29))
# CPUID.(7,0):EBX
BMI1, AVX2, BMI2 = (1 << b for b in (3, 5, 8))
AVX512F, AVX512DQ, AVX512CD, AVX512BW, AVX512VL = (1 << b for b in (16, 17, 28, 30, 31))
# CPUID.80000001h:ECX
LAHF, LZCNT = 1 << 0, 1 << 5
# XCR0: x87, SSE, AVX; opmask, ZMM_Hi256, Hi16_ZMM
XCR0_X87_SSE_AVX = 0x7
XCR0_AVX512 = 0xE0

V3_LEAF1 = {"SSE3": SSE3, "SSSE3": SSSE3, "FMA": FMA, "CX16": CX16, "SSE4.1": SSE41,
            "SSE4.2": SSE42, "MOVBE": MOVBE, "POPCNT": POPCNT, "OSXSAVE": OSXSAVE,
            "AVX": AVX, "F16C": F16C}
V3_LEAF7 = {"BMI1": BMI1, "AVX2": AVX2, "BMI2": BMI2}
V3_EXT1 = {"LAHF": LAHF, "LZCNT": LZCNT}
V4_LEAF7 = {"AVX512F": AVX512F, "AVX512DQ": AVX512DQ, "AVX512CD": AVX512CD,
            "AVX512BW": AVX512BW, "AVX512VL": AVX512VL}


def cpu(**change: int) -> dict[str, int]:
    """An x86-64-v4 CPU under an OS that saves every register (Linux-like),
    with ``change`` applied."""
    c = {
        "max_leaf": 0x16,
        "max_ext_leaf": 0x80000008,
        "leaf1_ecx": sum(V3_LEAF1.values()) | (1 << 1) | (1 << 25),  # + PCLMULQDQ, AES
        "leaf7_ebx": sum(V3_LEAF7.values()) | sum(V4_LEAF7.values()) | (1 << 9),  # + ERMS
        "ext1_ecx": sum(V3_EXT1.values()) | (1 << 8),  # + PREFETCHW
        "xcr0": XCR0_X87_SSE_AVX | XCR0_AVX512 | 0x200,  # + PKRU
        "os_avx512": -1,
    }
    c.update(change)
    return c


def levels3(c: dict[str, int]) -> tuple[bool, bool, bool]:
    """(x86-64-v3, x86-64-v4, x86-64-v4 with VBMI)"""
    return _ufuncs._x86_levels(c["max_leaf"], c["max_ext_leaf"], c["leaf1_ecx"],
                               c["leaf7_ebx"], c["ext1_ecx"], c["xcr0"], c["os_avx512"],
                               c.get("leaf7_ecx", 0))


def levels(c: dict[str, int]) -> tuple[bool, bool]:
    v3, v4, _ = levels3(c)
    return v3, v4


# CPUID.(EAX=7,ECX=0):ECX
AVX512_VBMI = 1 << 1


def test_vbmi_needs_its_bit_and_x86_64_v4() -> None:
    assert levels3(cpu()) == (True, True, False)
    assert levels3(cpu(leaf7_ecx=AVX512_VBMI)) == (True, True, True)
    assert levels3(cpu(leaf7_ecx=~AVX512_VBMI & 0xFFFFFFFF)) == (True, True, False)
    # the bit without AVX-512, or without the OS saving its state
    assert levels3(cpu(leaf7_ecx=AVX512_VBMI,
                       leaf7_ebx=cpu()["leaf7_ebx"] & ~AVX512BW)) == (True, False, False)
    assert levels3(cpu(leaf7_ecx=AVX512_VBMI, os_avx512=0)) == (True, False, False)
    # a CPU reporting fewer than 7 leaves has no leaf 7, whatever it returns
    assert levels3(cpu(leaf7_ecx=AVX512_VBMI, max_leaf=6))[2] is False


def test_full_cpu() -> None:
    assert levels(cpu()) == (True, True)


def test_avx2_cpu() -> None:
    """A Haswell-like CPU: AVX2 but no AVX-512 bits, no AVX-512 state."""
    c = cpu(leaf7_ebx=sum(V3_LEAF7.values()), xcr0=XCR0_X87_SSE_AVX)
    assert levels(c) == (True, False)


def test_nothing() -> None:
    assert levels(dict.fromkeys(cpu(), 0)) == (False, False)


@pytest.mark.parametrize("name", V3_LEAF1)
def test_each_leaf1_feature_needed(name: str) -> None:
    assert levels(cpu(leaf1_ecx=cpu()["leaf1_ecx"] & ~V3_LEAF1[name])) == (False, False)


@pytest.mark.parametrize("name", V3_LEAF7)
def test_each_leaf7_v3_feature_needed(name: str) -> None:
    assert levels(cpu(leaf7_ebx=cpu()["leaf7_ebx"] & ~V3_LEAF7[name])) == (False, False)


@pytest.mark.parametrize("name", V3_EXT1)
def test_each_extended_feature_needed(name: str) -> None:
    assert levels(cpu(ext1_ecx=cpu()["ext1_ecx"] & ~V3_EXT1[name])) == (False, False)


@pytest.mark.parametrize("name", V4_LEAF7)
def test_each_avx512_feature_needed(name: str) -> None:
    assert levels(cpu(leaf7_ebx=cpu()["leaf7_ebx"] & ~V4_LEAF7[name])) == (True, False)


@pytest.mark.parametrize("os_avx512", [-1, 1])
def test_each_avx512_feature_needed_whatever_the_os_says(os_avx512: int) -> None:
    c = cpu(leaf7_ebx=sum(V3_LEAF7.values()) | AVX512F, os_avx512=os_avx512)
    assert levels(c) == (True, False)


@pytest.mark.parametrize("max_leaf", [0, 1, 6])
def test_capped_basic_leaves_ignore_stale_leaf7(max_leaf: int) -> None:
    """A hypervisor reports fewer basic leaves but leaf 7 still reads as the
    host's: those bits must not count (AVX2 and AVX-512 would then fault)."""
    assert levels(cpu(max_leaf=max_leaf)) == (False, False)


def test_leaf7_is_enough() -> None:
    assert levels(cpu(max_leaf=7)) == (True, True)


@pytest.mark.parametrize("max_ext_leaf", [0, 0x80000000])
def test_capped_extended_leaves_ignore_stale_bits(max_ext_leaf: int) -> None:
    assert levels(cpu(max_ext_leaf=max_ext_leaf)) == (False, False)


def test_xcr0_needs_osxsave() -> None:
    """Without OSXSAVE, XGETBV is not executed and XCR0 counts as empty."""
    assert levels(cpu(leaf1_ecx=cpu()["leaf1_ecx"] & ~OSXSAVE)) == (False, False)


@pytest.mark.parametrize("xcr0", [0x3, 0x5, 0x1])
def test_os_must_save_ymm(xcr0: int) -> None:
    assert levels(cpu(xcr0=xcr0 | XCR0_AVX512)) == (False, False)


@pytest.mark.parametrize("missing", [0x20, 0x40, 0x80])
def test_os_must_save_every_avx512_state_component(missing: int) -> None:
    assert levels(cpu(xcr0=cpu()["xcr0"] & ~missing)) == (True, False)


def test_macos_lazy_avx512_state() -> None:
    """macOS: XCR0 shows no AVX-512 state in a thread that has not used it;
    the kernel's own report (hw.optional.avx512f = 1) decides."""
    assert levels(cpu(xcr0=XCR0_X87_SSE_AVX, os_avx512=1)) == (True, True)


def test_os_report_of_no_avx512_wins() -> None:
    """The OS's "no" (hw.optional.avx512f = 0 or absent) wins over XCR0."""
    assert levels(cpu(os_avx512=0)) == (True, False)


def test_os_report_does_not_stand_in_for_ymm_state() -> None:
    assert levels(cpu(xcr0=0x3, os_avx512=1)) == (False, False)
