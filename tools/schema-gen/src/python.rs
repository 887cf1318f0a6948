//! `bindings-python/python/connectpsp/_generated_models.py`: the result classes and the request
//! classes nested in request bodies, on the `Model` machinery of `_model_base.py`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::config;
use crate::schema::{Field, Schema, Ty, snake, summary};
use crate::{HEADER, Personal};

const PRELUDE: &str = include_str!("../templates/python_prelude.py");

struct Emitter<'a> {
    schema: &'a Schema,
    request_side: &'a BTreeMap<String, bool>,
    personal: &'a Personal,
    out: String,
}

/// A Python string literal (the docs are ASCII-safe text; quotes and backslashes escaped).
fn py_str(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn docstring(text: &str, indent: &str) -> String {
    // reStructuredText literals take double backticks.
    let text = summary(text)
        .replace('\\', "\\\\")
        .replace("\"\"\"", "'''")
        .replace('`', "``");
    if text.is_empty() {
        String::new()
    } else {
        format!("{indent}\"\"\"{text}\"\"\"\n\n")
    }
}

/// An enum member name: the wire value when it is one (`CASHIN_PAID`), otherwise the Rust
/// variant in SCREAMING_SNAKE_CASE.
fn member_name(wire: &str, rust: &str) -> String {
    let valid = wire.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && wire
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if valid {
        wire.to_owned()
    } else {
        snake(rust).to_uppercase()
    }
}

impl Emitter<'_> {
    fn is_enum(&self, name: &str) -> bool {
        self.schema.enums.contains_key(name)
    }

    /// The annotation of an attribute.
    fn annotation(&self, ty: &Ty) -> String {
        match ty {
            Ty::Str => "str".to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Int => "int".to_owned(),
            Ty::Decimal(_) => "Decimal".to_owned(),
            Ty::Any => "Any".to_owned(),
            Ty::List(inner) => format!("tuple[{}, ...]", self.annotation(inner)),
            Ty::Named(name) => config::py_name(name),
        }
    }

    /// The converter from the core's JSON value.
    fn converter(&self, ty: &Ty) -> String {
        match ty {
            Ty::Str => "as_str".to_owned(),
            Ty::Bool => "as_bool".to_owned(),
            Ty::Int => "int".to_owned(),
            Ty::Decimal(_) => "to_decimal".to_owned(),
            Ty::Any => "_same".to_owned(),
            Ty::List(inner) => format!("tuple_of({})", self.converter(inner)),
            Ty::Named(name) if self.is_enum(name) => config::py_name(name),
            Ty::Named(name) => format!("model({})", config::py_name(name)),
        }
    }

    /// The parameter annotation of a constructor argument: enums also take their string.
    fn parameter(&self, field: &Field) -> String {
        let base = match &field.ty {
            Ty::Named(name) if self.is_enum(name) => {
                format!(
                    "Union[{}, str{}]",
                    config::py_name(name),
                    if field.optional { ", None" } else { "" }
                )
            }
            Ty::Decimal(_) => format!(
                "Union[Decimal, str, int{}]",
                if field.optional { ", None" } else { "" }
            ),
            other if field.optional => format!("Optional[{}]", self.annotation(other)),
            other => self.annotation(other),
        };
        if field.optional {
            format!("{base} = None")
        } else {
            base
        }
    }

    /// The value a constructor stores for an argument.
    fn coerce(&self, field: &Field, var: &str) -> String {
        let convert = match &field.ty {
            Ty::Named(name) if self.is_enum(name) => config::py_name(name),
            Ty::Decimal(_) => "to_decimal".to_owned(),
            _ => return var.to_owned(),
        };
        if field.optional {
            format!("None if {var} is None else {convert}({var})")
        } else {
            format!("{convert}({var})")
        }
    }

    fn emit_enum(&mut self, name: &str) {
        let schema = self.schema;
        let e = &schema.enums[name];
        let py = config::py_name(name);
        let _ = writeln!(self.out, "\nclass {py}(_OpenEnum):");
        self.out.push_str(&docstring(&e.doc, "    "));
        for v in &e.variants {
            let _ = writeln!(
                self.out,
                "    {} = {}",
                member_name(&v.wire, &v.rust),
                py_str(&v.wire)
            );
        }
        self.out.push('\n');
    }

    fn emit_struct(&mut self, name: &str) {
        let schema = self.schema;
        let s = &schema.structs[name];
        let py = config::py_name(name);
        let base = if schema.replies.iter().any(|r| r == name) {
            "_Resource"
        } else {
            "_Schema"
        };
        let _ = writeln!(self.out, "\nclass {py}({base}):");
        self.out.push_str(&docstring(&s.doc, "    "));
        for field in &s.fields {
            let annotation = self.annotation(&field.ty);
            let annotation = if field.optional {
                format!("Optional[{annotation}]")
            } else {
                annotation
            };
            let _ = writeln!(self.out, "    {}: {annotation}", snake(&field.wire));
        }
        let _ = writeln!(
            self.out,
            "    _fields: ClassVar[Mapping[str, Converter]] = {{"
        );
        for field in &s.fields {
            let _ = writeln!(
                self.out,
                "        {}: {},",
                py_str(&snake(&field.wire)),
                self.converter(&field.ty)
            );
        }
        self.out.push_str("    }\n");
        let personal = self.personal;
        if let Some(rows) = personal.get(name) {
            let _ = writeln!(
                self.out,
                "    _personal: ClassVar[Mapping[str, tuple[str, Optional[str]]]] = {{"
            );
            for (field, mask, hint) in rows {
                let hint = hint
                    .as_deref()
                    .map_or("None".to_owned(), |h| py_str(&snake(h)));
                let _ = writeln!(
                    self.out,
                    "        {}: ({}, {hint}),",
                    py_str(&snake(field)),
                    py_str(mask)
                );
            }
            self.out.push_str("    }\n");
        }
        if self.request_side.get(name).copied().unwrap_or(false) {
            self.emit_init(name);
        }
        if let Some((_, extra)) = config::PY_EXTRAS.iter().find(|(n, _)| *n == name) {
            self.out.push('\n');
            self.out.push_str(extra);
        }
        self.out.push('\n');
    }

    /// A keyword-only constructor for the classes a caller builds (nested request data).
    fn emit_init(&mut self, name: &str) {
        let schema = self.schema;
        let s = &schema.structs[name];
        let params: Vec<String> = s
            .fields
            .iter()
            .map(|f| format!("        {}: {},", snake(&f.wire), self.parameter(f)))
            .collect();
        let _ = writeln!(
            self.out,
            "\n    def __init__(\n        self,\n        *,\n{}\n    ) -> None:",
            params.join("\n")
        );
        let _ = writeln!(self.out, "        super().__init__(");
        for field in &s.fields {
            let var = snake(&field.wire);
            let _ = writeln!(self.out, "            {var}={},", self.coerce(field, &var));
        }
        self.out.push_str("        )\n");
    }

    fn emit_webhook(&mut self) {
        let schema = self.schema;
        let Some(webhook) = &schema.webhook else {
            return;
        };
        let data_types: Vec<String> = webhook
            .kinds
            .iter()
            .map(|k| config::py_name(&k.data))
            .collect();
        let mut unique = data_types.clone();
        unique.dedup();
        let data_union = format!("Union[{}, dict[str, Any]]", unique.join(", "));
        self.out.push_str(
            "\n#: Which resource the `data` of each event type is (the core's dispatch).\n",
        );
        let _ = writeln!(
            self.out,
            "_EVENT_DATA: Mapping[str, Union[{}]] = {{",
            unique
                .iter()
                .map(|t| format!("type[{t}]"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (kind, py) in webhook.kinds.iter().zip(&data_types) {
            for event in &kind.events {
                let _ = writeln!(self.out, "    {}: {py},", py_str(event));
            }
        }
        self.out.push_str("}\n\n");
        let _ = writeln!(
            self.out,
            "\nclass {}(_Schema):",
            config::py_name(&webhook.name)
        );
        let _ = writeln!(
            self.out,
            "    \"\"\"A verified webhook. ``data`` is a {} (a plain dict for an event type the SDK does not know yet).\"\"\"\n",
            unique
                .iter()
                .map(|t| format!("``{t}``"))
                .collect::<Vec<_>>()
                .join(" or ")
        );
        let mut fields: Vec<(String, String, String)> = webhook
            .fields
            .iter()
            .map(|f| {
                let annotation = self.annotation(&f.ty);
                let annotation = if f.optional {
                    format!("Optional[{annotation}]")
                } else {
                    annotation
                };
                (snake(&f.wire), annotation, self.converter(&f.ty))
            })
            .collect();
        fields.push(("data".to_owned(), data_union.clone(), "_same".to_owned()));
        for (wire, _) in config::WEBHOOK_EXTRA {
            fields.push((snake(wire), "str".to_owned(), "as_str".to_owned()));
        }
        for (name, annotation, _) in &fields {
            let _ = writeln!(self.out, "    {name}: {annotation}");
        }
        self.out.push_str("    raw: str\n");
        let _ = writeln!(
            self.out,
            "    _fields: ClassVar[Mapping[str, Converter]] = {{"
        );
        for (name, _, convert) in &fields {
            let _ = writeln!(self.out, "        {}: {convert},", py_str(name));
        }
        self.out.push_str("    }\n");
        let event_field = webhook
            .fields
            .iter()
            .find(|f| matches!(&f.ty, Ty::Named(n) if *n == webhook.event_enum))
            .map(|f| snake(&f.wire))
            .unwrap_or_default();
        let _ = write!(
            self.out,
            r#"
    @classmethod
    def _from_json(cls, event: Mapping[str, Any], raw: str) -> {name}:
        self = cls._from_data(event)
        data = event.get("data") or {{}}
        kind = _EVENT_DATA.get(str(self.{event_field}))
        parsed: {data_union} = dict(data) if kind is None else kind._from_data(data)
        object.__setattr__(self, "data", parsed)
        object.__setattr__(self, "raw", raw)
        return self
"#,
            name = config::py_name(&webhook.name),
        );
    }
}

/// The Python module text.
pub fn emit(schema: &Schema, order: &[String], personal: &Personal) -> String {
    // Classes a caller constructs: reachable from a request body (the bodies themselves are
    // keyword arguments of the client methods).
    let request_roots: Vec<String> = config::REQUESTS.iter().map(|s| (*s).to_owned()).collect();
    let mut request_side = BTreeMap::new();
    for name in schema.reachable(&request_roots) {
        request_side.insert(name, true);
    }
    let classes: Vec<&String> = order
        .iter()
        .filter(|n| !config::REQUESTS.contains(&n.as_str()))
        .collect();
    let mut e = Emitter {
        schema,
        request_side: &request_side,
        personal,
        out: String::new(),
    };
    let mut exported: Vec<String> = classes.iter().map(|n| config::py_name(n)).collect();
    if let Some(webhook) = &schema.webhook {
        exported.push(config::py_name(&webhook.name));
    }
    e.out.push_str(&format!("# {HEADER}\n"));
    e.out.push_str(
        r#""""The API's models as the core defines them (core/src/model): attribute types, which
members may be absent, open enums, and which fields are personal data (core/src/personal.rs).
``connectpsp.models`` re-exports them."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from . import _native
from ._model_base import Model, _show, as_bool, as_str, model, to_decimal, tuple_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any, ClassVar, Mapping, Optional, TypeVar, Union

    from ._model_base import Converter

"#,
    );
    e.out.push_str("__all__ = [\n");
    for name in &exported {
        let _ = writeln!(e.out, "    {},", py_str(name));
    }
    e.out.push_str("]\n\n\n");
    e.out.push_str(PRELUDE);
    e.out.push('\n');
    for name in classes
        .iter()
        .filter(|n| schema.enums.contains_key(n.as_str()))
    {
        e.emit_enum(name);
    }
    for name in classes
        .iter()
        .filter(|n| schema.structs.contains_key(n.as_str()))
    {
        e.emit_struct(name);
    }
    e.emit_webhook();
    // One blank line at the end, whatever the last block wrote.
    let trimmed = e.out.trim_end().to_owned();
    format!("{trimmed}\n")
}
