"""Radiology: modalities, the exam catalogue, imaging orders, reports and images."""
