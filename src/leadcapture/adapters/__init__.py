"""Stores: adapters of the `LeadStore` port."""
