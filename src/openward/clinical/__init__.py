"""The clinical record: what the doctor found and did at each visit."""
