//! The core's typed values as Python values, without JSON text in between: a finished call's
//! `Outcome` becomes the result object of `connectpsp.models` (built by the class's
//! `_from_outcome` from a dict that pythonize writes straight from the typed reply), a webhook
//! event the dict `WebhookEvent._from_json` reads.
//!
//! Keys are Python's snake_case (`transaction_id`), amounts decimal strings that the models
//! turn into `Decimal` (no binary float is ever made from an amount), enums their wire
//! string (the models' open enums keep unknown ones as `UNKNOWN`).

use connectpsp_core::bridge::naming::camel_to_snake;
use connectpsp_core::model::webhook::{EventData, WebhookEvent};
use connectpsp_core::money::with_amounts_as_strings;
use connectpsp_core::operation::{Outcome, Reply};
use connectpsp_core::webhook;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyMapping, PyString};
use pythonize::{PythonizeMappingType, PythonizeTypes, PythonizeUnnamedMappingAdapter};
use serde::Serialize;
use serde_json::Value;

/// `connectpsp._generated_models`, where the result classes live.
static MODELS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
/// `decimal.Decimal`, for the numbers of a payload the SDK has no type for.
static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// pythonize's dicts with every key in snake_case (serde gives the core's camelCase).
struct Snake;

impl PythonizeTypes for Snake {
    type Map = SnakeDict;
    type NamedMap = PythonizeUnnamedMappingAdapter<SnakeDict>;
    type List = PyList;
}

struct SnakeDict;

impl PythonizeMappingType for SnakeDict {
    type Builder<'py> = Bound<'py, PyDict>;

    fn builder<'py>(py: Python<'py>, _len: Option<usize>) -> PyResult<Self::Builder<'py>> {
        Ok(PyDict::new(py))
    }

    fn push_item<'py>(
        builder: &mut Self::Builder<'py>,
        key: Bound<'py, PyAny>,
        value: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        match key.cast::<PyString>() {
            Ok(name) => builder.set_item(camel_to_snake(&name.to_cow()?), value),
            Err(_) => builder.set_item(key, value),
        }
    }

    fn finish<'py>(builder: Self::Builder<'py>) -> PyResult<Bound<'py, PyMapping>> {
        Ok(builder.into_mapping())
    }
}

/// `value` as snake_case Python data, amounts as decimal strings.
pub(crate) fn data<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    with_amounts_as_strings(|| pythonize::pythonize_custom::<Snake, _>(py, value))
        .map_err(|e| PyRuntimeError::new_err(format!("connectpsp: cannot convert a result: {e}")))
}

fn models(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    Ok(MODELS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("connectpsp._generated_models")?.unbind())
        })?
        .bind(py))
}

/// The result object of a finished call: `CashIn`, `Refund`, `CashOut`, `Balance` or
/// `RebalanceResult`, the class named after the core's reply type.
pub fn outcome_to_py<'py>(py: Python<'py>, outcome: &Outcome) -> PyResult<Bound<'py, PyAny>> {
    let (class, reply) = match &outcome.reply {
        Reply::CashIn(value) => ("CashIn", data(py, value)?),
        Reply::Refund(value) => ("Refund", data(py, value)?),
        Reply::CashOut(value) => ("CashOut", data(py, value)?),
        Reply::Balance(value) => ("Balance", data(py, value)?),
        Reply::Rebalance(value) => ("RebalanceResult", data(py, value)?),
    };
    let fields = PyDict::new(py);
    fields.set_item("data", reply)?;
    fields.set_item("idempotency_key", outcome.idempotency_key.as_deref())?;
    fields.set_item("status", outcome.status)?;
    fields.set_item("request_id", outcome.request_id.as_deref())?;
    fields.set_item("attempts", outcome.attempts)?;
    fields.set_item("replayed", outcome.replayed)?;
    fields.set_item("raw", outcome.raw.as_str())?;
    models(py)?
        .getattr(class)?
        .call_method1("_from_outcome", (fields,))
}

/// A verified webhook as the dict `WebhookEvent._from_json` reads: `event_type`, `event_at`,
/// `data` (snake_case; an event type the SDK does not know keeps its raw `data`, numbers as
/// `int` or `Decimal`) and the `dedupe_key`.
pub fn event_to_py<'py>(py: Python<'py>, event: &WebhookEvent) -> PyResult<Bound<'py, PyAny>> {
    let fields = PyDict::new(py);
    fields.set_item("event_type", event.event_type.as_str())?;
    fields.set_item("event_at", event.event_at.as_str())?;
    let payload = match &event.data {
        EventData::CashIn(cash_in) => data(py, cash_in)?,
        EventData::CashOut(cash_out) => data(py, cash_out)?,
        EventData::Unknown(raw) => raw_to_py(py, raw)?,
    };
    fields.set_item("data", payload)?;
    fields.set_item("dedupe_key", webhook::dedupe_key(event))?;
    Ok(fields.into_any())
}

/// JSON the SDK has no type for, as Python data: keys in snake_case, a number with a fraction
/// or an exponent as a `Decimal` of its exact text (never a binary float), others as `int`.
fn raw_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => flag.into_pyobject(py)?.to_owned().into_any(),
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Number(number) => {
            let text = number.to_string();
            if text.contains(['.', 'e', 'E']) {
                DECIMAL
                    .get_or_try_init(py, || {
                        Ok::<_, PyErr>(py.import("decimal")?.getattr("Decimal")?.unbind())
                    })?
                    .bind(py)
                    .call1((text,))?
            } else {
                py.get_type::<pyo3::types::PyInt>().call1((text,))?
            }
        }
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(raw_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(members) => {
            let dict = PyDict::new(py);
            for (key, member) in members {
                dict.set_item(camel_to_snake(key), raw_to_py(py, member)?)?;
            }
            dict.into_any()
        }
    })
}
