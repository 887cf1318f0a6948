//! Reads the core's source with `syn` and builds the [`Schema`]: the model structs and their
//! serde attributes, the string enums (`string_enum!` and hand-written ones with an
//! `Unknown(String)` variant), the reply types of `operation::Reply`, and the webhook envelope
//! with its `eventType` → `data` dispatch.
//!
//! Reading the source rather than deriving a schema means the model files need no annotation:
//! serde's attributes already say everything the bindings see.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::parse::ParseStream;
use syn::visit::Visit;
use syn::{
    Attribute, Expr, Fields, GenericArgument, Item, LitStr, Pat, PathArguments, Token, Type,
};

use crate::schema::{EventKind, Field, Schema, StrEnum, Struct, Ty, Variant, Webhook};

/// Where the model lives, relative to `core/src`: every `.rs` file under these.
const MODEL_SOURCES: &[&str] = &["model.rs", "model"];
/// Model types defined outside `model/` (the PIX key type belongs to the toolkit).
const EXTRA_SOURCES: &[&str] = &["pix/key.rs"];
/// Types defined here are exact amounts: decimal strings across the bridge.
const MONEY_SOURCES: &[&str] = &["money.rs", "money"];
/// The enum whose variants are the call results.
const REPLY_ENUM: &str = "Reply";
/// The webhook envelope, its data enum and the envelope field holding the data.
const WEBHOOK_STRUCT: &str = "WebhookEvent";
const WEBHOOK_DATA_ENUM: &str = "EventData";
const WEBHOOK_DATA_FIELD: &str = "data";

/// Every `.rs` file at or under `path` (a file or a directory), sorted.
fn rust_files(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_owned());
    } else if let Ok(entries) = fs::read_dir(path) {
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() || entry.extension().is_some_and(|x| x == "rs") {
                out.extend(rust_files(&entry));
            }
        }
    }
    out
}

fn parse(path: &Path) -> Result<syn::File, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    syn::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Items of a file, inline modules included, `#[cfg(test)]` modules excluded.
fn items(file: &syn::File) -> Vec<&Item> {
    fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
        for item in items {
            if let Item::Mod(module) = item {
                let test_only = module.attrs.iter().any(|a| {
                    a.path().is_ident("cfg") && a.to_token_stream().to_string().contains("test")
                });
                if let (false, Some((_, inner))) = (test_only, &module.content) {
                    walk(inner, out);
                }
            } else {
                out.push(item);
            }
        }
    }
    let mut out = Vec::new();
    walk(&file.items, &mut out);
    out
}

/// The text of the `///` comments.
fn doc(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &nv.value
        {
            lines.push(text.value().trim().to_owned());
        }
    }
    lines.join("\n")
}

fn derives(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("derive")
            && attr
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, Token![,]>::parse_terminated,
                )
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
                })
    })
}

/// serde's attributes of a container or a field, the ones that change the JSON shape.
#[derive(Default)]
struct Serde {
    rename: Option<String>,
    rename_all: Option<String>,
    default: bool,
    skip: bool,
    skip_serializing_if: bool,
    flatten: bool,
    /// An attribute that changes the shape in a way the generator cannot follow.
    unsupported: Vec<String>,
}

fn serde_attrs(attrs: &[Attribute]) -> Result<Serde, String> {
    let mut out = Serde::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match name.as_str() {
                "rename" => out.rename = serialized_name(&meta)?,
                "rename_all" => out.rename_all = serialized_name(&meta)?,
                "default" => {
                    out.default = true;
                    if meta.input.peek(Token![=]) {
                        meta.value()?.parse::<LitStr>()?;
                    }
                }
                "skip" | "skip_serializing" => out.skip = true,
                "skip_serializing_if" => {
                    out.skip_serializing_if = true;
                    meta.value()?.parse::<LitStr>()?;
                }
                "flatten" => out.flatten = true,
                "tag" | "content" | "untagged" | "transparent" | "serialize_with" | "with"
                | "into" | "remote" => {
                    out.unsupported.push(name.clone());
                    skip_value(&meta)?;
                }
                _ => skip_value(&meta)?,
            }
            Ok(())
        })
        .map_err(|e| format!("#[serde] attribute: {e}"))?;
    }
    Ok(out)
}

/// `rename = "x"` or `rename(serialize = "x", deserialize = "y")`: the bindings see what the
/// core serialises.
fn serialized_name(meta: &syn::meta::ParseNestedMeta) -> syn::Result<Option<String>> {
    if meta.input.peek(Token![=]) {
        return Ok(Some(meta.value()?.parse::<LitStr>()?.value()));
    }
    let mut found = None;
    meta.parse_nested_meta(|inner| {
        let text = inner.value()?.parse::<LitStr>()?.value();
        if inner.path.is_ident("serialize") {
            found = Some(text);
        }
        Ok(())
    })?;
    Ok(found)
}

/// Consumes `= value` or `(…)` after an attribute name the generator does not need.
fn skip_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// serde's `rename_all` rules, applied to a Rust field name.
fn rename(rule: Option<&str>, field: &str) -> Result<String, String> {
    let words: Vec<&str> = field.split('_').filter(|w| !w.is_empty()).collect();
    let capitalised = |w: &str| {
        let mut chars = w.chars();
        chars.next().map_or_else(String::new, |c| {
            c.to_uppercase().chain(chars).collect::<String>()
        })
    };
    Ok(match rule {
        None | Some("snake_case") => field.to_owned(),
        Some("camelCase") => words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    (*w).to_owned()
                } else {
                    capitalised(w)
                }
            })
            .collect(),
        Some("PascalCase") => words.iter().map(|w| capitalised(w)).collect(),
        Some("lowercase") => field.replace('_', ""),
        Some("SCREAMING_SNAKE_CASE") => field.to_uppercase(),
        Some("kebab-case") => field.replace('_', "-"),
        Some(other) => return Err(format!("rename_all = {other:?} is not supported")),
    })
}

/// `T` of `Option<T>`, `Vec<T>`, `Box<T>`.
fn type_argument(segment: &syn::PathSegment) -> Result<&Type, String> {
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .find_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .ok_or_else(|| format!("`{}` needs a type argument", segment.ident)),
        _ => Err(format!("`{}` needs a type argument", segment.ident)),
    }
}

/// A field type: `(type, is Option)`.
fn field_type(ty: &Type, decimals: &BTreeSet<String>) -> Result<(Ty, bool), String> {
    let Type::Path(path) = ty else {
        return Err(format!("unsupported type `{}`", ty.to_token_stream()));
    };
    let Some(last) = path.path.segments.last() else {
        return Err("empty type path".to_owned());
    };
    let name = last.ident.to_string();
    Ok(match name.as_str() {
        "Option" => {
            let (inner, nested) = field_type(type_argument(last)?, decimals)?;
            if nested {
                return Err("Option<Option<T>> is not supported".to_owned());
            }
            (inner, true)
        }
        "Vec" => {
            let (inner, optional) = field_type(type_argument(last)?, decimals)?;
            if optional {
                return Err("Vec<Option<T>> is not supported".to_owned());
            }
            (Ty::List(Box::new(inner)), false)
        }
        "Box" => field_type(type_argument(last)?, decimals)?,
        "String" | "str" | "Cow" => (Ty::Str, false),
        "bool" => (Ty::Bool, false),
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" | "isize" => {
            (Ty::Int, false)
        }
        "Value" => (Ty::Any, false),
        other if decimals.contains(other) => (Ty::Decimal(other.to_owned()), false),
        other => (Ty::Named(other.to_owned()), false),
    })
}

fn struct_fields(
    item: &syn::ItemStruct,
    decimals: &BTreeSet<String>,
    serialized: bool,
) -> Result<Vec<Field>, String> {
    let container = serde_attrs(&item.attrs)?;
    if let Some(attr) = container.unsupported.first() {
        return Err(format!("#[serde({attr})] is not supported"));
    }
    let Fields::Named(named) = &item.fields else {
        return Err("only structs with named fields are supported".to_owned());
    };
    let mut out = Vec::new();
    for field in &named.named {
        let rust = field
            .ident
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let attrs = serde_attrs(&field.attrs).map_err(|e| format!("{rust}: {e}"))?;
        if let Some(attr) = attrs.unsupported.first() {
            return Err(format!("{rust}: #[serde({attr})] is not supported"));
        }
        if attrs.skip {
            continue;
        }
        let (ty, optional) = field_type(&field.ty, decimals).map_err(|e| format!("{rust}: {e}"))?;
        let wire = match attrs.rename {
            Some(name) => name,
            // A hand-written Serialize (the webhook envelope) writes camelCase too.
            None if !serialized => rename(Some("camelCase"), &rust)?,
            None => rename(container.rename_all.as_deref(), &rust)?,
        };
        let field = Field {
            rust: rust.clone(),
            wire,
            doc: doc(&field.attrs),
            ty,
            optional,
            omitted_when_empty: attrs.skip_serializing_if,
        };
        if attrs.flatten {
            // Resolved once every struct is known.
            out.push(Field {
                wire: format!("{FLATTEN}{}", field.wire),
                ..field
            });
        } else {
            out.push(field);
        }
    }
    Ok(out)
}

/// Marks a flattened field until [`resolve_flatten`] inlines its struct's fields.
const FLATTEN: &str = "\u{0}flatten:";

fn resolve_flatten(structs: &mut BTreeMap<String, Struct>) -> Result<(), String> {
    let snapshot = structs.clone();
    for s in structs.values_mut() {
        let mut fields = Vec::new();
        for field in s.fields.drain(..) {
            if !field.wire.starts_with(FLATTEN) {
                fields.push(field);
                continue;
            }
            let Ty::Named(inner) = &field.ty else {
                return Err(format!("{}.{}: flatten needs a struct", s.name, field.rust));
            };
            let inner = snapshot
                .get(inner)
                .ok_or_else(|| format!("{}.{}: unknown struct {inner}", s.name, field.rust))?;
            fields.extend(inner.fields.iter().cloned().map(|mut f| {
                // An optional flattened struct makes every one of its fields optional.
                f.optional |= field.optional;
                f.omitted_when_empty |= field.optional;
                f
            }));
        }
        s.fields = fields;
    }
    Ok(())
}

/// The body of `string_enum! { #[doc] Name { Variant = "WIRE", … } }`.
fn string_enum_macro(mac: &syn::Macro) -> Result<StrEnum, String> {
    mac.parse_body_with(|input: ParseStream| {
        let attrs = input.call(Attribute::parse_outer)?;
        let name: syn::Ident = input.parse()?;
        let content;
        syn::braced!(content in input);
        let mut variants = Vec::new();
        while !content.is_empty() {
            content.call(Attribute::parse_outer)?;
            let rust: syn::Ident = content.parse()?;
            content.parse::<Token![=]>()?;
            let wire: LitStr = content.parse()?;
            variants.push(Variant {
                rust: rust.to_string(),
                wire: wire.value(),
            });
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        Ok(StrEnum {
            name: name.to_string(),
            doc: doc(&attrs),
            variants,
        })
    })
    .map_err(|e| format!("string_enum!: {e}"))
}

/// `Enum::Variant => "WIRE"` arms of any `match` inside `impl Enum`.
#[derive(Default)]
struct WireArms {
    arms: BTreeMap<String, String>,
}

impl<'ast> Visit<'ast> for WireArms {
    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if let (Pat::Path(path), Expr::Lit(lit)) = (&arm.pat, &*arm.body)
            && let syn::Lit::Str(text) = &lit.lit
            && let Some(variant) = path.path.segments.last()
        {
            self.arms
                .entry(variant.ident.to_string())
                .or_insert_with(|| text.value());
        }
        syn::visit::visit_arm(self, arm);
    }
}

/// A hand-written open enum: variants without data plus `Unknown(String)`, with an
/// `as_str`-style `match` giving each variant's wire string.
fn hand_written_enum(item: &syn::ItemEnum, impls: &[&syn::ItemImpl]) -> Option<StrEnum> {
    let name = item.ident.to_string();
    let open = item.variants.iter().any(|v| {
        v.ident == "Unknown" && matches!(&v.fields, Fields::Unnamed(f) if f.unnamed.len() == 1)
    });
    if !open {
        return None;
    }
    let mut arms = WireArms::default();
    for block in impls {
        if let Type::Path(path) = &*block.self_ty
            && path.path.is_ident(&name)
            && block.trait_.is_none()
        {
            arms.visit_item_impl(block);
        }
    }
    let variants: Option<Vec<Variant>> = item
        .variants
        .iter()
        .filter(|v| v.ident != "Unknown")
        .map(|v| {
            let rust = v.ident.to_string();
            arms.arms.get(&rust).map(|wire| Variant {
                rust,
                wire: wire.clone(),
            })
        })
        .collect();
    Some(StrEnum {
        name,
        doc: doc(&item.attrs),
        variants: variants?,
    })
}

/// Finds `EventType::A | EventType::B => EventData::V(…)` arms.
struct Dispatch<'a> {
    event_enum: &'a str,
    data_enum: &'a str,
    arms: Vec<(Vec<String>, String)>,
}

impl Dispatch<'_> {
    fn event_variants(&self, pat: &Pat, out: &mut Vec<String>) {
        match pat {
            Pat::Or(or) => or.cases.iter().for_each(|p| self.event_variants(p, out)),
            Pat::Path(path) => {
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if let [owner, variant] = segments.as_slice()
                    && owner == self.event_enum
                {
                    out.push(variant.clone());
                }
            }
            _ => {}
        }
    }
}

/// The `EventData::V` constructed in an expression, if any.
struct DataConstructor<'a> {
    data_enum: &'a str,
    found: Option<String>,
}

impl<'ast> Visit<'ast> for DataConstructor<'_> {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(path) = &*call.func {
            let segments: Vec<String> = path
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if let [owner, variant] = segments.as_slice()
                && owner == self.data_enum
                && self.found.is_none()
            {
                self.found = Some(variant.clone());
            }
        }
        syn::visit::visit_expr_call(self, call);
    }
}

impl<'ast> Visit<'ast> for Dispatch<'_> {
    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        let mut events = Vec::new();
        self.event_variants(&arm.pat, &mut events);
        if !events.is_empty() {
            let mut constructor = DataConstructor {
                data_enum: self.data_enum,
                found: None,
            };
            constructor.visit_expr(&arm.body);
            if let Some(variant) = constructor.found {
                self.arms.push((events, variant));
            }
        }
        syn::visit::visit_arm(self, arm);
    }
}

/// Reads `core/src` (`core_src`) into a [`Schema`].
pub fn load(core_src: &Path) -> Result<Schema, String> {
    let files = |roots: &[&str]| -> Vec<PathBuf> {
        roots
            .iter()
            .flat_map(|root| rust_files(&core_src.join(root)))
            .collect()
    };

    // Exact amounts: every public struct of the money module (a private one is the module's own
    // helper, e.g. the lazy text of an error message, never a type of the wire).
    let mut schema = Schema::default();
    let mut decimals = BTreeSet::new();
    for path in files(MONEY_SOURCES) {
        for item in items(&parse(&path)?) {
            if let Item::Struct(s) = item
                && matches!(s.vis, syn::Visibility::Public(_))
            {
                decimals.insert(s.ident.to_string());
                schema.decimals.insert(s.ident.to_string(), doc(&s.attrs));
            }
        }
    }

    let mut webhook_struct = None;
    let mut data_enum = None;
    let mut webhook_file = None;
    let mut model_files = files(MODEL_SOURCES);
    model_files.extend(files(EXTRA_SOURCES));
    for path in &model_files {
        let file = parse(path)?;
        let items = items(&file);
        let impls: Vec<&syn::ItemImpl> = items
            .iter()
            .filter_map(|i| match i {
                Item::Impl(block) => Some(block),
                _ => None,
            })
            .collect();
        let hand_serialized: BTreeSet<String> = impls
            .iter()
            .filter(|b| {
                b.trait_
                    .as_ref()
                    .and_then(|(_, p, _)| p.segments.last())
                    .is_some_and(|s| s.ident == "Serialize")
            })
            .filter_map(|b| match &*b.self_ty {
                Type::Path(p) => p.path.get_ident().map(ToString::to_string),
                _ => None,
            })
            .collect();
        for item in &items {
            match item {
                Item::Struct(s) => {
                    let name = s.ident.to_string();
                    if name == WEBHOOK_STRUCT && hand_serialized.contains(&name) {
                        webhook_struct = Some((*s).clone());
                        webhook_file = Some(file.clone());
                        continue;
                    }
                    if !derives(&s.attrs, "Serialize") {
                        continue;
                    }
                    let fields = struct_fields(s, &decimals, true)
                        .map_err(|e| format!("{}: {name}: {e}", path.display()))?;
                    schema.structs.insert(
                        name.clone(),
                        Struct {
                            name,
                            doc: doc(&s.attrs),
                            fields,
                        },
                    );
                }
                Item::Enum(e) if e.ident == WEBHOOK_DATA_ENUM => data_enum = Some((*e).clone()),
                Item::Enum(e) => {
                    if let Some(found) = hand_written_enum(e, &impls) {
                        schema.enums.insert(found.name.clone(), found);
                    }
                }
                Item::Macro(m) if m.mac.path.is_ident("string_enum") => {
                    let found = string_enum_macro(&m.mac)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    schema.enums.insert(found.name.clone(), found);
                }
                _ => {}
            }
        }
    }
    resolve_flatten(&mut schema.structs)?;

    // The call results: `enum Reply { CashIn(CashIn), … }`, wherever the driver defines it.
    for path in rust_files(core_src) {
        for item in items(&parse(&path)?) {
            if let Item::Enum(e) = item
                && e.ident == REPLY_ENUM
            {
                for variant in &e.variants {
                    if let Fields::Unnamed(f) = &variant.fields
                        && let Some(field) = f.unnamed.first()
                        && let (Ty::Named(name), false) = field_type(&field.ty, &decimals)?
                    {
                        schema.replies.push(name.clone());
                        schema
                            .reply_variants
                            .push((variant.ident.to_string(), name));
                    }
                }
            }
        }
    }
    if schema.replies.is_empty() {
        return Err(format!(
            "no `enum {REPLY_ENUM}` with result types found in core/src"
        ));
    }

    if let (Some(envelope), Some(data), Some(file)) = (webhook_struct, data_enum, webhook_file) {
        schema.webhook = Some(webhook(&envelope, &data, &file, &schema, &decimals)?);
    }

    Ok(schema)
}

fn webhook(
    envelope: &syn::ItemStruct,
    data: &syn::ItemEnum,
    file: &syn::File,
    schema: &Schema,
    decimals: &BTreeSet<String>,
) -> Result<Webhook, String> {
    let fields: Vec<Field> = struct_fields(envelope, decimals, false)
        .map_err(|e| format!("{WEBHOOK_STRUCT}: {e}"))?
        .into_iter()
        .filter(|f| f.rust != WEBHOOK_DATA_FIELD)
        .collect();
    let event_enum = fields
        .iter()
        .find_map(|f| match &f.ty {
            Ty::Named(name) if schema.enums.contains_key(name) => Some(name.clone()),
            _ => None,
        })
        .ok_or_else(|| format!("{WEBHOOK_STRUCT}: no event-type enum field"))?;
    let mut data_types = BTreeMap::new();
    for variant in &data.variants {
        if let Fields::Unnamed(f) = &variant.fields
            && let Some(field) = f.unnamed.first()
            && let (Ty::Named(name), false) = field_type(&field.ty, decimals)?
        {
            data_types.insert(variant.ident.to_string(), name);
        }
    }
    let mut dispatch = Dispatch {
        event_enum: &event_enum,
        data_enum: WEBHOOK_DATA_ENUM,
        arms: Vec::new(),
    };
    dispatch.visit_file(file);
    let events = &schema.enums[&event_enum];
    let mut kinds = Vec::new();
    for (variants, data_variant) in dispatch.arms {
        let Some(data) = data_types.get(&data_variant) else {
            continue;
        };
        let wires = variants
            .iter()
            .map(|v| {
                events
                    .variants
                    .iter()
                    .find(|known| &known.rust == v)
                    .map(|known| known.wire.clone())
                    .ok_or_else(|| format!("{event_enum}::{v} is not a variant"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        kinds.push(EventKind {
            variant: data_variant,
            data: data.clone(),
            events: wires,
        });
    }
    if kinds.is_empty() {
        return Err(format!(
            "no `{event_enum}::… => {WEBHOOK_DATA_ENUM}::…(…)` dispatch found next to {WEBHOOK_STRUCT}"
        ));
    }
    Ok(Webhook {
        name: WEBHOOK_STRUCT.to_owned(),
        doc: doc(&envelope.attrs),
        fields,
        event_enum,
        kinds,
    })
}
