//! The offline PIX toolkit: everything about PIX that needs no network.
//!
//! - [`cpf`] and [`cnpj`]: check digits of the Brazilian taxpayer documents, including the
//!   alphanumeric CNPJ issued from July 2026.
//! - [`document`]: the `document` field of the API (a CPF or a CNPJ, digits only).
//! - [`key`]: PIX keys (DICT "chaves"): validation and the normalised form sent on the wire.
//! - [`brcode`]: the BR Code ("Pix copia e cola", EMV MPM): a decoder that reports every
//!   problem it finds and an encoder with a correct CRC.
//! - [`end_to_end`]: the SPI endToEndId (`E…` payments, `D…` devolutions).
//! - [`detect`]: which type of key a user typed (or the candidates, when two readings hold).
//! - [`format`]: CPF/CNPJ masks off (`normalize_document`) and on (`format_document`).
//! - [`qr`]: the QR image (SVG, PNG) of a BR Code.
//!
//! Validation errors never quote the rejected value: documents and keys are personal data.

pub mod brcode;
pub mod cnpj;
pub mod cpf;
pub mod detect;
pub mod document;
pub mod end_to_end;
pub mod format;
pub mod key;
mod modulus11;
pub mod qr;
