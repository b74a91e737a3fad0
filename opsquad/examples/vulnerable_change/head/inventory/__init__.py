"""A small inventory service used as opsquad's bundled example change."""
