"""LeadSquared's wire formats: response envelopes and flat lead objects."""
