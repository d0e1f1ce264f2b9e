"""A test LTI 1.3 platform and a fake Canvas REST API, both on loopback (issue 14)."""
