"""What every process shares and no business rule needs: logging with PII redaction, the data
converter that seals confidential fields, the Temporal connection, binaries, the heap, and the composition root
(``infra.bootstrap.Resources``) that opens and closes a process's resources.

infra imports settings (``config``), ``models`` and ``storage``, never ``api``, ``starter`` or
the worker (``.importlinter``)."""
