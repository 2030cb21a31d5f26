"""OTX1 payloads: D3D12 packing arithmetic (spec §7), worked layouts (§2.4), fallback (§2.8)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oxcook import formats as f

D3D12 = f.PackingPolicy.D3D12


def test_packing_policy_golden_arithmetic():
    assert f.align_up(1, D3D12.row_pitch_alignment) == 256
    assert f.align_up(257, D3D12.row_pitch_alignment) == 512
    assert f.align_up(1, D3D12.subresource_alignment) == 512
    assert f.align_up(513, D3D12.subresource_alignment) == 1024
    assert f.align_up(5, f.PackingPolicy.TIGHT.subresource_alignment) == 8
    assert f.row_bytes(f.Format.BC7_UNORM, 5) == 32
    layout = f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.BC7_UNORM, 256, 256)
    assert layout.subresources[0].size == 65536
    rgba = f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.RGBA8_UNORM, 64, 64).subresources[0]
    assert (rgba.row_pitch, rgba.size) == (256, 16384)


def _rows(layout):
    return [(s.width, s.height, s.row_pitch, s.size, s.offset) for s in layout.subresources]


def test_worked_example_bc7_256_full_chain():
    layout = f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.BC7_UNORM, 256, 256, mip_levels=9)
    assert _rows(layout) == [
        (256, 256, 1024, 65536, 0),
        (128, 128, 512, 16384, 65536),
        (64, 64, 256, 4096, 81920),
        (32, 32, 256, 2048, 86016),
        (16, 16, 256, 1024, 88064),
        (8, 8, 256, 512, 89088),
        (4, 4, 256, 256, 89600),
        (2, 2, 256, 256, 90112),
        (1, 1, 256, 256, 90624),
    ]
    assert (layout.data_offset, layout.total_size) == (512, 91392)


def test_worked_example_npot_rgba8_100x60():
    layout = f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.RGBA8_UNORM, 100, 60, mip_levels=7)
    assert _rows(layout) == [
        (100, 60, 512, 30720, 0),
        (50, 30, 256, 7680, 30720),
        (25, 15, 256, 3840, 38400),
        (12, 7, 256, 1792, 42496),
        (6, 3, 256, 768, 44544),
        (3, 1, 256, 256, 45568),
        (1, 1, 256, 256, 46080),
    ]
    assert (layout.data_offset, layout.total_size) == (512, 46848)


def test_worked_example_rgba16f_cube():
    layout = f.compute_layout(
        f.TextureType.TEXTURE_CUBE, f.Format.RGBA16_FLOAT, 64, 64, array_layers=6, mip_levels=7
    )
    assert len(layout.subresources) == 42
    assert layout.subresources[7].layer == 1 and layout.subresources[7].offset == 49152
    assert (layout.data_offset, layout.total_size) == (1024, 295680)


def test_full_mip_count():
    assert f.full_mip_count(100, 60) == 7
    assert f.full_mip_count(1, 1) == 1
    assert f.full_mip_count(2048, 16) == 12


def test_fallback_payload_bytes_and_hashes():
    payload, row_hash = f.fallback_payload()
    assert len(payload) == 768
    assert payload[:40] == bytes.fromhex(
        "4f545831 01 00 0100 00030000 1c000000 00020000 d550c7b667f4358f 00000000 00010000 00010000".replace(" ", "")
    )
    assert payload[512:516] == b"\xff" * 4 and payload[516:] == bytes(252)
    assert row_hash == 0x8F35F467B6C750D5
    assert hashlib.sha256(payload).hexdigest().startswith("e826502c")
    assert hashlib.sha256(payload).hexdigest().endswith("6531bfd4b")
    # the engine's quirky row hash stays readable
    assert 0x177A39052C5026E8 in f.fallback_row_hashes()


def test_fallback_payload_epoch_a_hash():
    payload, digest = f.fallback_payload(epoch=f.Epoch.A)
    assert digest == 0x182312AE023BB1EE
    assert hashlib.sha256(payload).hexdigest().startswith("8bae943c")


def test_pack_parse_round_trip_with_row_padding():
    layout = f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.RGBA8_UNORM, 5, 3, mip_levels=2)
    subs = [bytes(range(60)), bytes([7] * 8)]
    payload, digest = f.pack_payload(layout, subs)
    parsed = f.parse_payload(payload)
    assert parsed.header.content_hash == digest
    assert f.payload_hash_matches(payload, digest)
    first = parsed.layouts[0]
    base = parsed.header.data_offset_bytes
    for r in range(3):
        row = payload[base + r * first.row_pitch_bytes : base + r * first.row_pitch_bytes + 20]
        assert row == bytes(range(r * 20, r * 20 + 20))
        assert payload[base + r * 256 + 20 : base + (r + 1) * 256] == bytes(236)


def test_pack_refuses_wrong_sizes():
    layout = f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.RGBA8_UNORM, 4, 4)
    with pytest.raises(f.LayoutError):
        f.pack_payload(layout, [bytes(10)])
    with pytest.raises(f.LayoutError):
        f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.RGBA8_UNORM, 4, 4, mip_levels=9)
    with pytest.raises(f.LayoutError):
        f.compute_layout(f.TextureType.TEXTURE_2D, f.Format.RGBA8_UNORM, 0, 4)


@pytest.mark.parametrize("cut", [0, 3, 27, 100, 600, 767])
def test_parse_truncated_payload(cut):
    payload, _ = f.fallback_payload()
    with pytest.raises(f.FormatError):
        f.parse_payload(payload[:cut])


def test_parse_not_a_payload():
    with pytest.raises(f.FormatNotRecognized):
        f.parse_payload(b"JUNK" * 100)


@given(
    w=st.integers(1, 300),
    h=st.integers(1, 300),
    fmt=st.sampled_from([f.Format.RGBA8_UNORM, f.Format.BC7_UNORM, f.Format.RGBA16_FLOAT, f.Format.R8_UNORM]),
    layers=st.sampled_from([1, 6]),
)
def test_layout_invariants(w, h, fmt, layers):
    mips = f.full_mip_count(w, h)
    layout = f.compute_layout(f.TextureType.TEXTURE_2D_ARRAY, fmt, w, h, array_layers=layers, mip_levels=mips)
    info = f.FORMAT_INFO[fmt]
    end = 0
    for s in layout.subresources:
        assert s.offset % 512 == 0 and s.row_pitch % 256 == 0
        assert s.offset >= end
        assert s.row_pitch >= -(-s.width // info.block_size) * info.bytes_per_block
        assert s.size == s.row_pitch * -(-s.height // info.block_size)
        end = s.offset + s.size
    assert layout.data_offset % 512 == 0 and layout.data_offset >= 28 + 12 * len(layout.subresources)
