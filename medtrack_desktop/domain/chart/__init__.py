"""The patient chart: encounters, notes, vitals, problems, allergies, medications,
immunizations, procedures, documents and the e-signatures that lock them."""
