//! The rules compiled once to a regorus RVM program (bytecode), with one entry point per set of
//! rules an input is evaluated against: the rules on specs, on Terraform, and on each kind of
//! Kubernetes object.
//!
//! An entry point is a generated rule holding, for each rule of its set in order, the rule's
//! `deny`, `violation` and `warn` sets: one execution evaluates them all, so the libraries they
//! share (`data.lib.pave.kubernetes.containers`) are computed once per object. The interpreter
//! stays the reference: when the program cannot be built (a construct the RVM does not compile)
//! or an execution fails, the caller evaluates the same input with the interpreter, which also
//! words the errors.

use std::collections::BTreeMap;
use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::{DeserializationResult, Program};
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, Rc, Value};

use super::Rule;

/// The package of the generated entry points; a user package under it clashes (and falls back).
const PACKAGE: &str = "pave_eval_internal";

/// An instruction budget no rule on one input comes near; the RVM's default (25,000) is too
/// low for a large Terraform file or Composition.
const MAX_INSTRUCTIONS: usize = 1 << 40;

/// The `data` key of the rules an execution skips (by position in its set).
const SKIP: &str = "pave_eval_internal_skip";

/// A program in regorus's binary form, and the entry point of each rule set (rule indices to
/// entry point index).
pub(super) type Parts = (Vec<u8>, Vec<(Vec<usize>, usize)>);

/// The compiled program and the entry point of each rule set.
pub(super) struct Programs {
    program: Arc<Program>,
    /// Rule indices (as [`super::PolicySet::rules_for`] lists them) to entry point index.
    entries: BTreeMap<Vec<usize>, usize>,
}

impl Programs {
    /// Compiles the rule sets `sets` of `rules` (indices into it); `None` when the RVM cannot
    /// compile them, and every input is then evaluated by the interpreter.
    pub(super) fn compile(engine: &Engine, rules: &[Rule], sets: Vec<Vec<usize>>) -> Option<Self> {
        let mut engine = engine.clone();
        let mut entry_names = Vec::new();
        let mut entries = BTreeMap::new();
        for set in sets {
            if set.is_empty() || entries.contains_key(&set) {
                continue;
            }
            let n = entries.len();
            // One rule per element, each skipped when the input's `SKIP[i]` is true (its
            // answer is known: see `reads.rs`); without `SKIP`, every element is evaluated.
            let mut elements = Vec::new();
            let mut names = Vec::new();
            for (i, &index) in set.iter().enumerate() {
                let rule = rules.get(index)?;
                let mut fields = Vec::new();
                for name in ["deny", "violation", "warn"] {
                    if engine
                        .has_declared_rule_rooted_at(&rule.file_name, name)
                        .ok()?
                    {
                        fields.push(format!("\"{name}\": data.{}.{name}", rule.package));
                    }
                }
                elements.push(format!(
                    "default e{i} := {{}}\n\ne{i} := {{{}}} if not data.{SKIP}[{i}]\n",
                    fields.join(", ")
                ));
                names.push(format!("e{i}"));
            }
            let source = format!(
                "package {PACKAGE}.s{n}\n\nimport rego.v1\n\n{}\nresult := [{}]\n",
                elements.join("\n"),
                names.join(", ")
            );
            engine
                .add_policy(format!("<pave entry point {n}>"), source)
                .ok()?;
            entry_names.push(format!("data.{PACKAGE}.s{n}.result"));
            entries.insert(set, n);
        }
        let first = entry_names.first()?;
        let policy = engine
            .compile_with_entrypoint(&Rc::from(first.as_str()))
            .ok()?;
        let refs: Vec<&str> = entry_names.iter().map(String::as_str).collect();
        let program = Compiler::compile_from_policy(&policy, &refs).ok()?;
        Some(Programs { program, entries })
    }

    /// The program in regorus's binary form (`Program::serialize_binary`, versioned; postcard)
    /// and the entry points, for the policy cache.
    pub(super) fn to_parts(&self) -> Option<Parts> {
        let bytes = self.program.serialize_binary().ok()?;
        let entries = self
            .entries
            .iter()
            .map(|(set, &n)| (set.clone(), n))
            .collect();
        Some((bytes, entries))
    }

    /// The program [`Programs::to_parts`] wrote; `None` unless regorus reads all of it back
    /// (`DeserializationResult::Complete`: a `Partial` program, from another format version,
    /// would need recompiling from source).
    pub(super) fn from_parts(bytes: &[u8], entries: Vec<(Vec<usize>, usize)>) -> Option<Self> {
        match Program::deserialize_binary(bytes).ok()? {
            DeserializationResult::Complete(program) => Some(Programs {
                program: Arc::new(program),
                entries: entries.into_iter().collect(),
            }),
            DeserializationResult::Partial(_) => None,
        }
    }

    /// Whether it has an entry point for each of these rule sets (the empty set needs none).
    pub(super) fn covers(&self, sets: &[Vec<usize>]) -> bool {
        sets.iter()
            .all(|set| set.is_empty() || self.entries.contains_key(set))
    }

    /// A VM of this program, for one thread.
    pub(super) fn vm(&self) -> RegoVM {
        let mut vm = RegoVM::new();
        vm.load_program(self.program.clone());
        vm.set_max_instructions(MAX_INSTRUCTIONS);
        vm
    }

    /// Evaluates the rule set `rules` on `input`, with `data.pave` = `context`: for each rule, an
    /// object of its `deny` / `violation` / `warn` sets (empty for a rule `skip` marks). `None`
    /// when the set has no entry point or the execution failed (the interpreter then takes
    /// over).
    pub(super) fn evaluate(
        &self,
        vm: &mut RegoVM,
        rules: &[usize],
        input: &Value,
        context: &Value,
        skip: &[bool],
    ) -> Option<Value> {
        let entry = *self.entries.get(rules)?;
        let mut data = Value::new_object();
        let map = data.as_object_mut().ok()?;
        map.insert(Value::from("pave"), context.clone());
        if skip.contains(&true) {
            let skip: Vec<Value> = skip.iter().map(|&s| Value::Bool(s)).collect();
            map.insert(Value::from(SKIP), Value::from(skip));
        }
        vm.set_data(data).ok()?;
        vm.set_input(input.clone());
        match vm.execute_entry_point_by_index(entry) {
            Ok(Value::Undefined) | Err(_) => None,
            Ok(value) => Some(value),
        }
    }
}
