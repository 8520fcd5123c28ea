"""Qt-free business logic, one package per domain. Services take a Session and an Actor."""
