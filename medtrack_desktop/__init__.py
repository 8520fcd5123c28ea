"""MedTrack Desktop: a clinic workstation EHR over an encrypted local database."""

__version__ = "0.1.0"
