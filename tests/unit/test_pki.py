"""Per-run certificates of the test control plane."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from satfeed_dev.pki import CertificateAuthority, service_account_keys


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_serving_certificate_covers_loopback_and_in_cluster_names(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    pair = ca.issue("apiserver", "kube-apiserver", server_names=("127.0.0.1", "kubernetes"))
    cert = _load(pair.cert)
    cert.verify_directly_issued_by(_load(ca.cert_path))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "kubernetes" in sans.get_values_for_type(x509.DNSName)
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage


def test_client_certificate_carries_user_and_group(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    pair = ca.issue("admin", "satfeed-testbed-admin", organization="system:masters")
    subject = _load(pair.cert).subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "satfeed-testbed-admin"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    assert pair.key.stat().st_mode & 0o077 == 0  # private keys are not world-readable


def test_each_run_gets_its_own_authority(tmp_path: Path) -> None:
    first = CertificateAuthority(tmp_path / "a").cert
    second = CertificateAuthority(tmp_path / "b").cert
    assert first.public_key() != second.public_key()


def test_service_account_keys_are_a_pair(tmp_path: Path) -> None:
    pair = service_account_keys(tmp_path)
    assert b"PUBLIC KEY" in pair.cert.read_bytes()
    assert b"PRIVATE KEY" in pair.key.read_bytes()
