"""Access control: roles, grants, legal bases, policy decisions and the tamper-evident audit log."""
