//! `bindings-wasm/ts/generated/schema.ts` (the types) and `display.ts` (masked `toString` and
//! `util.inspect` for result objects, from core/src/personal.rs).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::config;
use crate::schema::{Direction, Field, Schema, Ty, named, summary};
use crate::{HEADER, Personal};

fn js_str(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn jsdoc(text: &str, indent: &str) -> String {
    let text = summary(text).replace("*/", "*\\/");
    if text.is_empty() {
        String::new()
    } else {
        format!("{indent}/** {text} */\n")
    }
}

struct Types<'a> {
    schema: &'a Schema,
    directions: &'a BTreeMap<String, Direction>,
}

impl Types<'_> {
    fn ty(&self, ty: &Ty, direction: Direction) -> String {
        match ty {
            Ty::Str => "string".to_owned(),
            Ty::Bool => "boolean".to_owned(),
            Ty::Int => "number".to_owned(),
            Ty::Any => "unknown".to_owned(),
            Ty::Decimal(name) => match direction {
                Direction::Request => "AmountInput".to_owned(),
                Direction::Response => format!("{name}String"),
            },
            Ty::List(inner) => format!("{}[]", self.ty(inner, direction)),
            Ty::Named(name) if self.schema.enums.contains_key(name) => match direction {
                // The core refuses an unknown value in a request before sending: the compiler
                // may refuse it first.
                Direction::Request => format!("Known{}", config::ts_name(name)),
                Direction::Response => config::ts_name(name),
            },
            Ty::Named(name) => config::ts_name(name),
        }
    }

    fn field(&self, field: &Field, direction: Direction) -> String {
        let ty = self.ty(&field.ty, direction);
        let (optional, ty) = match direction {
            // Absent and null both mean "not given" to the core.
            Direction::Request if field.optional => (true, format!("{ty} | null")),
            Direction::Request => (false, ty),
            // The core's JSON leaves an empty member out (never null) when it skips it.
            Direction::Response => match (field.optional, field.omitted_when_empty) {
                (_, true) => (true, ty),
                (true, false) => (false, format!("{ty} | null")),
                (false, false) => (false, ty),
            },
        };
        format!(
            "{}  {}{}: {ty};\n",
            jsdoc(&field.doc, "  "),
            field.wire,
            if optional { "?" } else { "" }
        )
    }

    fn direction(&self, name: &str) -> Direction {
        self.directions
            .get(name)
            .copied()
            .unwrap_or(Direction::Response)
    }
}

const PRELUDE: &str = r#"/** An amount in reais: `"150.50"`, `"500"`, or a number whose shortest form has at most two
 * decimals (`150.5`). `0.1 + 0.2` is rejected with a ValidationError, never rounded. */
export type AmountInput = string | number;

/** An amount as the SDK returns it: always a decimal string with two decimals (`"150.50"`). */
export type AmountString = string;
"#;

/// The types module.
pub fn schema(
    schema: &Schema,
    order: &[String],
    directions: &BTreeMap<String, Direction>,
) -> String {
    let t = Types { schema, directions };
    let mut out = format!(
        "// {HEADER}\n//\n// The API's models as the core defines them (core/src/model). Response types are exact: a member\n// the core may leave out is optional, and every enum is open (a value the API adds later\n// arrives as its string). Request-only types use the closed `Known…` unions, because the core\n// refuses an unknown value there before anything is sent.\n\n{PRELUDE}"
    );
    // Every other amount type of core/src/money: a decimal string as the SDK returns it.
    for (name, doc) in schema.decimals.iter().filter(|(n, _)| *n != "Amount") {
        let _ = write!(
            out,
            "\n/** {} The SDK returns it as a decimal string with two decimals. */\nexport type {name}String = string;\n",
            summary(doc).replace("*/", "*\\/")
        );
    }
    for name in order
        .iter()
        .filter(|n| schema.enums.contains_key(n.as_str()))
    {
        let e = &schema.enums[name];
        let ts = config::ts_name(name);
        let values: Vec<String> = e.variants.iter().map(|v| js_str(&v.wire)).collect();
        out.push('\n');
        out.push_str(&jsdoc(&e.doc, ""));
        let _ = writeln!(out, "export type Known{ts} = {};", values.join(" | "));
        let _ = writeln!(
            out,
            "/** {}, or a value the API documents later (kept as sent). */",
            summary(&e.doc).trim_end_matches('.').replace("*/", "*\\/")
        );
        let _ = writeln!(out, "export type {ts} = Known{ts} | (string & {{}});");
    }
    for name in order
        .iter()
        .filter(|n| schema.structs.contains_key(n.as_str()))
    {
        let s = &schema.structs[name];
        let direction = t.direction(name);
        out.push('\n');
        out.push_str(&jsdoc(&s.doc, ""));
        let _ = writeln!(out, "export interface {} {{", config::ts_name(name));
        for field in &s.fields {
            out.push_str(&t.field(field, direction));
        }
        out.push_str("}\n");
    }
    if let Some(webhook) = &schema.webhook {
        let event_field = webhook
            .fields
            .iter()
            .find(|f| matches!(&f.ty, Ty::Named(n) if *n == webhook.event_enum))
            .map(|f| f.wire.clone())
            .unwrap_or_default();
        let mut members = String::new();
        for field in webhook.fields.iter().filter(|f| f.wire != event_field) {
            members.push_str(&t.field(field, Direction::Response));
        }
        for (wire, doc) in config::WEBHOOK_EXTRA {
            members.push_str(&format!("{}  {wire}: string;\n", jsdoc(doc, "  ")));
        }
        let mut variants = Vec::new();
        for kind in &webhook.kinds {
            let event = format!("{}Event", kind.variant);
            let values: Vec<String> = kind.events.iter().map(|e| js_str(e)).collect();
            let _ = write!(
                out,
                "\n/** The event types whose `data` is a {data}. */\nexport type {event}Type = {values};\n\nexport interface {event} {{\n  {event_field}: {event}Type;\n{members}  data: {data};\n}}\n",
                data = config::ts_name(&kind.data),
                values = values.join(" | "),
            );
            variants.push(event);
        }
        let _ = write!(
            out,
            "\n/** {} Narrow on `{event_field}`. */\nexport type {} = {};\n",
            summary(&webhook.doc),
            config::ts_name(&webhook.name),
            variants.join(" | ")
        );
    }
    out
}

/// The display module: masked `toString` / `util.inspect` for every response model.
pub fn display(
    schema: &Schema,
    order: &[String],
    directions: &BTreeMap<String, Direction>,
    personal: &Personal,
    replies: &[(String, String)],
) -> String {
    // What the core hands back; request bodies are the caller's own objects.
    let models: Vec<&String> = order
        .iter()
        .filter(|n| schema.structs.contains_key(n.as_str()))
        .filter(|n| directions.get(n.as_str()) == Some(&Direction::Response))
        .collect();
    let mut out = format!(
        "// {HEADER}\n//\n// How result objects print: `toString()` and `util.inspect` (console.log) show personal data\n// masked by the core (core/src/personal.rs); the properties themselves and JSON.stringify keep\n// the real values. The methods are non-enumerable, so they change no key, copy or comparison.\n\nimport {{ runtime }} from \"../runtime.js\";\n\n"
    );
    let names: Vec<String> = models.iter().map(|n| js_str(&config::ts_name(n))).collect();
    let mut all_names = names.clone();
    if let Some(webhook) = &schema.webhook {
        all_names.push(js_str(&config::ts_name(&webhook.name)));
    }
    let _ = writeln!(
        out,
        "/** The models `withDisplay` knows. */\nexport type ModelName =\n  | {};\n",
        all_names.join("\n  | ")
    );
    out.push_str("/** Per model: [property, the core's mask name, the property whose value refines the mask]. */\n");
    out.push_str("const PERSONAL: Readonly<Partial<Record<ModelName, readonly (readonly [string, string, string | null])[]>>> = {\n");
    for name in &models {
        if let Some(rows) = personal.get(name.as_str()) {
            let rows: Vec<String> = rows
                .iter()
                .map(|(field, mask, hint)| {
                    format!(
                        "[{}, {}, {}]",
                        js_str(field),
                        js_str(mask),
                        hint.as_deref().map_or("null".to_owned(), js_str)
                    )
                })
                .collect();
            let _ = writeln!(out, "  {}: [{}],", config::ts_name(name), rows.join(", "));
        }
    }
    out.push_str(
        "};\n\n/** Per model: the properties holding another model (or a list of them). */\n",
    );
    out.push_str("const NESTED: Readonly<Partial<Record<ModelName, Readonly<Record<string, ModelName>>>>> = {\n");
    for name in &models {
        let nested: Vec<String> = schema.structs[name.as_str()]
            .fields
            .iter()
            .filter_map(|f| {
                named(&f.ty)
                    .filter(|n| schema.structs.contains_key(*n))
                    .map(|n| format!("{}: {}", f.wire, js_str(&config::ts_name(n))))
            })
            .collect();
        if !nested.is_empty() {
            let _ = writeln!(
                out,
                "  {}: {{ {} }},",
                config::ts_name(name),
                nested.join(", ")
            );
        }
    }
    out.push_str("};\n");
    if let Some(webhook) = &schema.webhook {
        let event_field = webhook
            .fields
            .iter()
            .find(|f| matches!(&f.ty, Ty::Named(n) if *n == webhook.event_enum))
            .map(|f| f.wire.clone())
            .unwrap_or_default();
        out.push_str("\n/** Which model the `data` of each webhook event type is (the core's dispatch). */\n");
        out.push_str("const EVENT_DATA: Readonly<Record<string, ModelName>> = {\n");
        for kind in &webhook.kinds {
            for event in &kind.events {
                let _ = writeln!(out, "  {event}: {},", js_str(&config::ts_name(&kind.data)));
            }
        }
        out.push_str("};\n");
        out.push_str("\n/** The model each call answers with (the core's call table, core/src/call.rs). */\n");
        out.push_str("const REPLY_MODEL: Readonly<Record<string, ModelName>> = {\n");
        for (method, model) in replies {
            let _ = writeln!(
                out,
                "  {}: {},",
                js_str(method),
                js_str(&config::ts_name(model))
            );
        }
        out.push_str("};\n");
        let _ = writeln!(
            out,
            "const WEBHOOK: ModelName = {};\nconst EVENT_FIELD = {};",
            js_str(&config::ts_name(&webhook.name)),
            js_str(&event_field)
        );
    }
    out.push_str(DISPLAY_RUNTIME);
    out
}

const DISPLAY_RUNTIME: &str = r#"
const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

function nestedModel(model: ModelName, record: Record<string, unknown>, key: string): ModelName | undefined {
  if (model === WEBHOOK && key === "data") return EVENT_DATA[String(record[EVENT_FIELD])];
  return NESTED[model]?.[key];
}

/** A plain copy of `value` with the personal data of `model` (and of its nested models) masked. */
function masked(model: ModelName, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => masked(model, item));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) {
    const inner = nestedModel(model, record, key);
    out[key] = inner === undefined ? item : masked(inner, item);
  }
  for (const [field, mask, hint] of PERSONAL[model] ?? []) {
    const item = record[field];
    if (typeof item !== "string") continue;
    const hintValue = hint === null ? undefined : record[hint];
    out[field] = runtime().core.maskPersonal(mask, item, typeof hintValue === "string" ? hintValue : undefined);
  }
  return out;
}

type Inspect = (value: unknown, options?: unknown) => string;

const descriptors = new Map<ModelName, PropertyDescriptorMap>();

function descriptorsOf(model: ModelName): PropertyDescriptorMap {
  let found = descriptors.get(model);
  if (found === undefined) {
    found = {
      toString: {
        value(this: object): string {
          return `${model} ${JSON.stringify(masked(model, this))}`;
        },
        enumerable: false,
        configurable: true,
        writable: true,
      },
      [inspectSymbol]: {
        value(this: object, _depth: number, options: unknown, inspect?: Inspect): string {
          const copy = masked(model, this);
          return `${model} ${inspect === undefined ? JSON.stringify(copy) : inspect(copy, options)}`;
        },
        enumerable: false,
        configurable: true,
        writable: true,
      },
    };
    descriptors.set(model, found);
  }
  return found;
}

/** Gives `value` (a `model` from the core's JSON) and every model inside it a masked
 * `toString` and `util.inspect`. Returns `value` itself. */
export function withDisplay<T>(model: ModelName, value: T): T {
  if (Array.isArray(value)) {
    for (const item of value) withDisplay(model, item);
    return value;
  }
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  Object.defineProperties(record, descriptorsOf(model));
  for (const key of Object.keys(record)) {
    const inner = nestedModel(model, record, key);
    if (inner !== undefined) withDisplay(inner, record[key]);
  }
  return value;
}

/** `withDisplay` for the answer of the core call `method` (`cashOut.create`, ...). */
export function withReplyDisplay<T>(method: string, value: T): T {
  const model = REPLY_MODEL[method];
  return model === undefined ? value : withDisplay(model, value);
}
"#;
