"""Administration: users, the role x permission matrix, the audit log viewer."""
