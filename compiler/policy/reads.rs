//! What of its input a rule on Kubernetes objects can observe, found by reading its Rego: the
//! fields of the object (`input`) and of its context (`data.pave`) that decide whether the rule
//! finds anything. Two objects that agree on those fields get the same answer, so the answer is
//! computed once per distinct [`Reads::view`] of them (hashed and looked up by `PolicySet`).
//!
//! The analysis is an abstract interpretation of the rule's package and every rule it refers to,
//! over values that are "the subtree of the input at one of these paths", object and array
//! literals of such values, constants, or anything else already accounted for. Each use of a
//! value marks what of it the use depends on: the whole value, only its key set, only whether
//! it is a scalar and which (compared with a constant), or only its presence and type (a
//! message's argument). Anything the analysis does not model marks its operands whole; a
//! construct it cannot follow at all (`with`, imports, references into `data` it cannot resolve,
//! recursion) gives up on the rule, which is then evaluated on every object.
//!
//! What the rule *reports* (messages, paths) is read from the object each time: only the
//! presence and type of the head's values count here, and only an answer with no findings is
//! ever reused.

use std::collections::{BTreeMap, BTreeSet};

use regorus::Value;
use regorus::unstable::{
    AssignOp, BoolOp, Expr, Literal, LiteralStmt, Module, Parser, Query, Rule as Ast, RuleHead,
};
use serde::{Deserialize, Serialize};

use crate::emit::Mask;

/// Where a read starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) enum Root {
    /// The object, `input`.
    Input,
    /// Its context, `data.pave`.
    Context,
}

/// One step of a path: a known key, or any key or index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum Step {
    Key(String),
    Any,
}

type Path = (Root, Vec<Step>);

/// What a use of a value depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum Mark {
    /// All of it.
    Whole,
    /// Its type, and its value if it is a scalar (compared with a constant, tested for truth).
    Scalar,
    /// Its type, and all of it if it is not a scalar (an argument of a message).
    Present,
    /// Its type and key set (an array's length, a set's members).
    Keys,
    /// Its type: that it is there at all (a reference is undefined where it is not).
    Exists,
}

/// An abstract value: any of the parts it lists.
#[derive(Debug, Clone, Default, PartialEq)]
struct Abs {
    /// The subtree of the input at one of these paths.
    paths: BTreeSet<Path>,
    /// An object or array built by the rule: by key (`Any` for unknown keys and elements).
    members: BTreeMap<Step, Abs>,
    /// One of these constants.
    consts: Vec<Value>,
    /// Some other value, depending on nothing not already marked.
    other: bool,
    /// Drawn from iterating one of these collections (so it exists only if that collection is
    /// not empty); `None` when not known to be.
    guard: Option<BTreeSet<Path>>,
}

impl Abs {
    fn clean() -> Abs {
        Abs {
            other: true,
            ..Abs::default()
        }
    }

    fn constant(value: Value) -> Abs {
        Abs {
            consts: vec![value],
            ..Abs::default()
        }
    }

    fn path(path: Path) -> Abs {
        Abs {
            paths: BTreeSet::from([path]),
            ..Abs::default()
        }
    }

    /// The constants this value is, if it is nothing but constants.
    fn exact(&self) -> Option<&[Value]> {
        (self.paths.is_empty() && self.members.is_empty() && !self.other && !self.consts.is_empty())
            .then_some(self.consts.as_slice())
    }

    fn join(&mut self, other: Abs) {
        self.paths.extend(other.paths);
        for (step, abs) in other.members {
            self.members.entry(step).or_default().join(abs);
        }
        for value in other.consts {
            if !self.consts.contains(&value) {
                self.consts.push(value);
            }
        }
        self.other |= other.other;
        // A value from either place exists only if one of their collections is not empty.
        self.guard = match (self.guard.take(), other.guard) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
    }
}

/// Why the analysis gave up on a rule.
type Unsupported = ();

/// The marks of one rule, as a tree per root (see [`Reads::view`]). Kept in the policy cache
/// (`cache/policy.rs`), so it derives serde (postcard).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Reads {
    input: Node,
    context: Node,
    /// Marks made by statements that use an element of a collection, by the collections it may
    /// come from: they count only when one of those is not empty (a statement about `scaled` in
    /// `some scaled in object.get(data.pave, "autoscaled", [])` is never evaluated without one).
    guarded: Vec<(Vec<Path>, Node, Node)>,
}

/// The marks at one node of the input, and below it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Node {
    marks: BTreeSet<Mark>,
    children: BTreeMap<String, Node>,
    /// What every key or element is read for, merged into `children` too.
    any: Option<Box<Node>>,
}

impl Node {
    fn add(&mut self, steps: &[Step], mark: Mark) {
        match steps.split_first() {
            None => {
                self.marks.insert(mark);
            }
            Some((Step::Key(key), rest)) => {
                self.children
                    .entry(key.clone())
                    .or_default()
                    .add(rest, mark);
            }
            Some((Step::Any, rest)) => self.any.get_or_insert_default().add(rest, mark),
        }
    }

    fn merge(&mut self, other: &Node) {
        self.marks.extend(other.marks.iter().copied());
        for (key, child) in &other.children {
            self.children.entry(key.clone()).or_default().merge(child);
        }
        if let Some(any) = &other.any {
            self.any.get_or_insert_default().merge(any);
        }
    }

    /// Merges what any key is read for into each named key, below too, so that a key's node is
    /// `children[key]`, else `any`.
    fn normalise(&mut self) {
        if let Some(any) = &mut self.any {
            any.normalise();
            let any = any.as_ref().clone();
            for child in self.children.values_mut() {
                child.merge(&any);
            }
        }
        for child in self.children.values_mut() {
            child.normalise();
        }
    }

    fn is_empty(&self) -> bool {
        self.marks.is_empty() && self.children.is_empty() && self.any.is_none()
    }
}

/// The policy modules, parsed again for the analysis.
pub(super) struct Modules {
    modules: Vec<Module>,
}

impl Modules {
    /// Parses the sources (the rules' and libraries'); `None` if one does not parse (it did for
    /// the engine, so this does not happen) or uses an import, which the analysis does not
    /// follow.
    pub(super) fn parse<'a>(sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Self> {
        let mut modules = Vec::new();
        for (name, text) in sources {
            let source =
                regorus::unstable::Source::from_contents(name.to_string(), text.to_string())
                    .ok()?;
            let mut parser = Parser::new(&source).ok()?;
            parser.enable_rego_v1().ok()?;
            let module = parser.parse().ok()?;
            for import in &module.imports {
                let target = flatten(&import.refr).and_then(|(base, steps)| {
                    let mut name = vec![base];
                    for step in steps {
                        name.push(step.key()?);
                    }
                    Some(name.join("."))
                });
                if !matches!(target.as_deref(), Some("rego.v1" | "future.keywords"))
                    && !target
                        .as_deref()
                        .is_some_and(|t| t.starts_with("future.keywords."))
                {
                    return None;
                }
            }
            modules.push(module);
        }
        Some(Modules { modules })
    }

    /// What the rule of package `package` (without `data.`) reads to decide whether its `deny`,
    /// `violation` and `warn` sets are empty; `None` if the analysis cannot tell.
    pub(super) fn reads(&self, package: &str) -> Option<Reads> {
        let mut analysis = Analysis {
            modules: self,
            values: BTreeMap::new(),
            active: BTreeSet::new(),
            marks: BTreeSet::new(),
            guarded: BTreeMap::new(),
            seen_guards: Vec::new(),
        };
        let package: Vec<String> = package.split('.').map(str::to_string).collect();
        for module in self.in_package(&package) {
            for rule in &module.policy {
                let Ast::Spec { head, bodies, .. } = rule.as_ref() else {
                    // A default value of a finding set: a constant.
                    continue;
                };
                let RuleHead::Set { refr, key, .. } = head else {
                    continue;
                };
                let (name, rest) = flatten(refr)?;
                if !rest.is_empty() || !matches!(name.as_str(), "deny" | "violation" | "warn") {
                    continue;
                }
                for body in bodies {
                    let mut env = Env::new();
                    analysis.query(&package, &body.query, &mut env).ok()?;
                    if let Some(key) = key {
                        // Only whether the element is defined decides emptiness.
                        let value = analysis.expr(&package, key, &mut env, true).ok()?;
                        analysis.observe(&value, Mark::Present);
                    }
                }
            }
        }
        let tries = |marks: &Marks| {
            let (mut input, mut context) = (Node::default(), Node::default());
            for ((root, steps), mark) in marks {
                match root {
                    Root::Input => input.add(steps, *mark),
                    Root::Context => context.add(steps, *mark),
                }
            }
            input.normalise();
            context.normalise();
            (input, context)
        };
        let (input, context) = tries(&analysis.marks);
        let guarded = analysis
            .guarded
            .iter()
            .map(|(guard, marks)| {
                let (input, context) = tries(marks);
                (guard.iter().cloned().collect(), input, context)
            })
            .collect();
        Some(Reads {
            input,
            context,
            guarded,
        })
    }

    fn in_package<'a>(&'a self, package: &'a [String]) -> impl Iterator<Item = &'a Module> + 'a {
        self.modules.iter().filter(move |module| {
            flatten(&module.package.refr).is_some_and(|(base, steps)| {
                let mut name = vec![base];
                name.extend(steps.iter().filter_map(|s| s.key()));
                name.len() == steps.len() + 1 && name == package
            })
        })
    }
}

/// A step of a reference as written: a field name, or a bracketed expression.
enum RefStep<'a> {
    Field(String),
    Index(&'a regorus::unstable::Ref<Expr>),
}

impl RefStep<'_> {
    /// The key, if it is a field or a string constant.
    fn key(&self) -> Option<String> {
        match self {
            RefStep::Field(name) => Some(name.clone()),
            RefStep::Index(expr) => match expr.as_ref() {
                Expr::String { value, .. } | Expr::RawString { value, .. } => {
                    value.as_string().ok().map(|s| s.to_string())
                }
                _ => None,
            },
        }
    }
}

/// A reference `base.a[b]...` as its base variable and steps; `None` if its base is not a
/// variable (a call, a literal).
fn flatten(expr: &regorus::unstable::Ref<Expr>) -> Option<(String, Vec<RefStep<'_>>)> {
    let mut steps = Vec::new();
    let mut current = expr;
    loop {
        match current.as_ref() {
            Expr::RefDot { refr, field, .. } => {
                steps.push(RefStep::Field(field.1.as_string().ok()?.to_string()));
                current = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                steps.push(RefStep::Index(index));
                current = refr;
            }
            Expr::Var { value, .. } => {
                steps.reverse();
                return Some((value.as_string().ok()?.to_string(), steps));
            }
            _ => return None,
        }
    }
}

/// A rule: its package and name.
type RuleId = (Vec<String>, String);

/// What the analysis marked so far.
type Marks = BTreeSet<(Path, Mark)>;

/// Local variables: bound to an abstract value.
type Env = BTreeMap<String, Abs>;

struct Analysis<'a> {
    modules: &'a Modules,
    /// Each rule's value and what computing it marks, by package and name.
    values: BTreeMap<RuleId, (Abs, Marks)>,
    /// The rules being analysed (a cycle gives up).
    active: BTreeSet<RuleId>,
    marks: Marks,
    /// Marks that count only when one of the collections of their key is not empty.
    guarded: BTreeMap<BTreeSet<Path>, Marks>,
    /// The guards of the variables the current statement used so far.
    seen_guards: Vec<BTreeSet<Path>>,
}

/// How often a query is analysed again for variables bound after their use (unification);
/// the environment settles in two passes for any rule seen so far.
const PASSES: usize = 4;

impl Analysis<'_> {
    fn observe(&mut self, abs: &Abs, mark: Mark) {
        for path in &abs.paths {
            self.marks.insert((path.clone(), mark));
        }
        // A built value's key set is the rule's own; a message argument depends on whether its
        // members are defined, a whole value on all of them.
        if matches!(mark, Mark::Whole | Mark::Present) {
            for member in abs.members.values() {
                self.observe(member, mark);
            }
        }
    }

    fn query(
        &mut self,
        package: &[String],
        query: &Query,
        env: &mut Env,
    ) -> Result<(), Unsupported> {
        for _ in 0..PASSES {
            let before = env.clone();
            for stmt in &query.stmts {
                self.stmt(package, stmt, env)?;
            }
            if *env == before {
                return Ok(());
            }
        }
        Err(())
    }

    /// A statement; what it marks is guarded when it uses an element of a collection (it is
    /// evaluated once per element, so never when the collection is empty).
    fn stmt(
        &mut self,
        package: &[String],
        stmt: &LiteralStmt,
        env: &mut Env,
    ) -> Result<(), Unsupported> {
        let outer_marks = std::mem::take(&mut self.marks);
        let outer_seen = std::mem::take(&mut self.seen_guards);
        let result = self.stmt_inner(package, stmt, env);
        let marks = std::mem::replace(&mut self.marks, outer_marks);
        let seen = std::mem::replace(&mut self.seen_guards, outer_seen);
        match seen.into_iter().next() {
            Some(guard) => self.guarded.entry(guard).or_default().extend(marks),
            None => self.marks.extend(marks),
        }
        result
    }

    fn stmt_inner(
        &mut self,
        package: &[String],
        stmt: &LiteralStmt,
        env: &mut Env,
    ) -> Result<(), Unsupported> {
        if !stmt.with_mods.is_empty() {
            return Err(());
        }
        match &stmt.literal {
            Literal::SomeVars { vars, .. } => {
                for var in vars {
                    env.insert(var.text().to_string(), Abs::default());
                }
            }
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => {
                let collection = self.expr(package, collection, env, false)?;
                self.iterate(package, key.as_ref(), value, &collection, env)?;
            }
            Literal::Expr { expr, .. } => {
                let value = self.expr(package, expr, env, false)?;
                self.observe(&value, Mark::Scalar);
            }
            Literal::NotExpr { expr, .. } => {
                let mut inner = env.clone();
                let value = self.expr(package, expr, &mut inner, false)?;
                self.observe(&value, Mark::Scalar);
            }
            Literal::Every {
                key,
                value,
                domain,
                query,
                ..
            } => {
                let domain = self.expr(package, domain, env, false)?;
                self.observe(&domain, Mark::Keys);
                let mut inner = env.clone();
                if let Some(key) = key {
                    inner.insert(key.text().to_string(), Abs::clean());
                }
                inner.insert(value.text().to_string(), element(&domain));
                self.query(package, query, &mut inner)?;
            }
        }
        Ok(())
    }

    /// `some key, value in collection`.
    fn iterate(
        &mut self,
        package: &[String],
        key: Option<&regorus::unstable::Ref<Expr>>,
        value: &regorus::unstable::Ref<Expr>,
        collection: &Abs,
        env: &mut Env,
    ) -> Result<(), Unsupported> {
        self.observe(collection, Mark::Keys);
        let elements = match collection.exact() {
            // Each element of a constant array or set.
            Some(consts) => {
                let mut abs = Abs::default();
                for c in consts {
                    match c {
                        Value::Array(items) => {
                            abs.consts.extend(items.iter().cloned());
                        }
                        Value::Set(items) => abs.consts.extend(items.iter().cloned()),
                        _ => abs.other = true,
                    }
                }
                abs
            }
            None => element(collection),
        };
        // Elements of nothing but input collections (or empty defaults) exist only if one of
        // those is not empty.
        let guardable = !collection.paths.is_empty()
            && collection.members.is_empty()
            && !collection.other
            && collection.consts.iter().all(|c| match c {
                Value::Array(items) => items.is_empty(),
                Value::Set(items) => items.is_empty(),
                Value::Object(map) => map.is_empty(),
                _ => false,
            });
        let guard = guardable.then(|| collection.paths.clone());
        let mut elements = elements;
        elements.guard.clone_from(&guard);
        if let Some(key) = key {
            let mut key_value = Abs::clean();
            key_value.guard = guard;
            self.bind(package, key, key_value, env)?;
        }
        self.bind(package, value, elements, env)
    }

    /// Binds a pattern (a variable, or an array or object of them) to a value; anything else in
    /// the pattern is compared with it.
    fn bind(
        &mut self,
        package: &[String],
        pattern: &regorus::unstable::Ref<Expr>,
        value: Abs,
        env: &mut Env,
    ) -> Result<(), Unsupported> {
        match pattern.as_ref() {
            Expr::Var { value: name, .. } => {
                let name = name.as_string().map_err(|_| ())?.to_string();
                if name != "_" {
                    env.insert(name, value);
                }
                Ok(())
            }
            Expr::Array { items, .. } => {
                self.observe(&value, Mark::Keys);
                let element = element(&value);
                for item in items {
                    self.bind(package, item, element.clone(), env)?;
                }
                Ok(())
            }
            _ => {
                self.observe(&value, Mark::Whole);
                let other = self.expr(package, pattern, env, false)?;
                self.observe(&other, Mark::Whole);
                Ok(())
            }
        }
    }

    /// Whether a variable is bound in `env` (else, in a reference, it ranges over the keys).
    fn is_bound(name: &str, env: &Env) -> bool {
        env.get(name).is_some_and(|abs| *abs != Abs::default())
    }

    /// The abstract value of an expression. `head`: the expression is a finding set's element,
    /// whose contents do not matter, only that it is defined.
    fn expr(
        &mut self,
        package: &[String],
        expr: &regorus::unstable::Ref<Expr>,
        env: &mut Env,
        head: bool,
    ) -> Result<Abs, Unsupported> {
        // An argument's definedness, in the head; its contents, elsewhere.
        let arg = if head { Mark::Present } else { Mark::Whole };
        Ok(match expr.as_ref() {
            Expr::String { value, .. }
            | Expr::RawString { value, .. }
            | Expr::Number { value, .. }
            | Expr::Bool { value, .. }
            | Expr::Null { value, .. } => Abs::constant(value.clone()),
            Expr::Var { .. } | Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                self.reference(package, expr, env, head)?
            }
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                let values = items
                    .iter()
                    .map(|item| self.expr(package, item, env, head))
                    .collect::<Result<Vec<_>, _>>()?;
                let singles: Option<Vec<Value>> = values
                    .iter()
                    .map(|v| match v.exact() {
                        Some([one]) => Some(one.clone()),
                        _ => None,
                    })
                    .collect();
                match (singles, expr.as_ref()) {
                    (Some(items), Expr::Array { .. }) => Abs::constant(Value::from(items)),
                    (Some(items), _) => {
                        Abs::constant(Value::from(items.into_iter().collect::<BTreeSet<Value>>()))
                    }
                    (None, _) => {
                        let mut any = Abs::default();
                        for value in values {
                            any.join(value);
                        }
                        built(BTreeMap::from([(Step::Any, any)]))
                    }
                }
            }
            Expr::Object { fields, .. } => {
                let mut members: BTreeMap<Step, Abs> = BTreeMap::new();
                for (_, key, value) in fields {
                    let key = self.expr(package, key, env, head)?;
                    let value = self.expr(package, value, env, head)?;
                    let step = match key.exact() {
                        Some([Value::String(key)]) => Step::Key(key.to_string()),
                        _ => {
                            self.observe(&key, arg);
                            Step::Any
                        }
                    };
                    members.entry(step).or_default().join(value);
                }
                built(members)
            }
            // A comprehension is evaluated (to an empty collection, maybe) whether or not its
            // own iterations find elements: what its term uses guards nothing outside it.
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                let seen = std::mem::take(&mut self.seen_guards);
                let mut inner = env.clone();
                self.query(package, query, &mut inner)?;
                let term = self.expr(package, term, &mut inner, head)?;
                self.seen_guards = seen;
                built(BTreeMap::from([(Step::Any, term)]))
            }
            Expr::ObjectCompr {
                key, value, query, ..
            } => {
                let seen = std::mem::take(&mut self.seen_guards);
                let mut inner = env.clone();
                self.query(package, query, &mut inner)?;
                let key = self.expr(package, key, &mut inner, head)?;
                self.observe(&key, Mark::Whole);
                let value = self.expr(package, value, &mut inner, head)?;
                self.seen_guards = seen;
                built(BTreeMap::from([(Step::Any, value)]))
            }
            Expr::Call { fcn, params, .. } => self.call(package, fcn, params, env, head)?,
            Expr::UnaryExpr { expr, .. } => {
                let value = self.expr(package, expr, env, head)?;
                self.observe(&value, arg);
                Abs::clean()
            }
            Expr::BinExpr { lhs, rhs, .. } | Expr::ArithExpr { lhs, rhs, .. } => {
                for side in [lhs, rhs] {
                    let value = self.expr(package, side, env, head)?;
                    self.observe(&value, Mark::Whole);
                }
                Abs::clean()
            }
            Expr::BoolExpr { op, lhs, rhs, .. } => {
                let lhs = self.expr(package, lhs, env, head)?;
                let rhs = self.expr(package, rhs, env, head)?;
                let scalar = |abs: &Abs| {
                    abs.exact().is_some_and(|consts| {
                        consts.iter().all(|c| {
                            matches!(
                                c,
                                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)
                            )
                        })
                    })
                };
                // Equal to a scalar constant: decided by the other side's type and, if it is a
                // scalar, its value.
                let mark =
                    if matches!(op, BoolOp::Eq | BoolOp::Ne) && (scalar(&lhs) || scalar(&rhs)) {
                        Mark::Scalar
                    } else {
                        Mark::Whole
                    };
                self.observe(&lhs, mark);
                self.observe(&rhs, mark);
                Abs::clean()
            }
            Expr::AssignExpr { op, lhs, rhs, .. } => {
                let value = self.expr(package, rhs, env, head)?;
                let unbound = |e: &regorus::unstable::Ref<Expr>, env: &Env| match e.as_ref() {
                    Expr::Var { value, .. } => value.as_string().is_ok_and(|name| {
                        !Self::is_bound(name, env) && !self.is_rule(package, name)
                    }),
                    Expr::Array { .. } => true,
                    _ => false,
                };
                let lhs_unbound = unbound(lhs, env);
                let rhs_unbound = matches!(rhs.as_ref(), Expr::Var { .. }) && unbound(rhs, env);
                if matches!(op, AssignOp::ColEq) || lhs_unbound {
                    self.bind(package, lhs, value, env)?;
                } else if rhs_unbound {
                    let left = self.expr(package, lhs, env, head)?;
                    self.bind(package, rhs, left, env)?;
                } else {
                    self.observe(&value, Mark::Whole);
                    let left = self.expr(package, lhs, env, head)?;
                    self.observe(&left, Mark::Whole);
                }
                Abs::clean()
            }
            Expr::Membership {
                key,
                value,
                collection,
                ..
            } => {
                let collection = self.expr(package, collection, env, head)?;
                let member = self.expr(package, value, env, head)?;
                let scalars = collection.exact().is_some_and(|consts| {
                    consts.iter().all(|c| match c {
                        Value::Set(items) => items.iter().all(|i| {
                            matches!(
                                i,
                                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)
                            )
                        }),
                        _ => false,
                    })
                });
                if scalars && key.is_none() {
                    // In a set of scalar constants: decided as an equality with each.
                    self.observe(&member, Mark::Scalar);
                } else {
                    self.observe(&collection, Mark::Whole);
                    self.observe(&member, Mark::Whole);
                    if let Some(key) = key {
                        let key = self.expr(package, key, env, head)?;
                        self.observe(&key, Mark::Whole);
                    }
                }
                Abs::clean()
            }
            #[allow(unreachable_patterns)]
            _ => return Err(()),
        })
    }

    /// Whether `name` is a rule of `package` (a reference to it, not a variable).
    fn is_rule(&self, package: &[String], name: &str) -> bool {
        self.modules.in_package(package).any(|module| {
            module
                .policy
                .iter()
                .any(|rule| rule_name(rule) == Some(name.to_string()))
        })
    }

    /// A variable or reference.
    fn reference(
        &mut self,
        package: &[String],
        expr: &regorus::unstable::Ref<Expr>,
        env: &mut Env,
        head: bool,
    ) -> Result<Abs, Unsupported> {
        let (base, steps) = flatten(expr).ok_or(())?;
        let mut rest = steps.as_slice();
        let mut value = if let Some(bound) = env.get(&base).filter(|abs| **abs != Abs::default()) {
            if let Some(guard) = &bound.guard {
                self.seen_guards.push(guard.clone());
            }
            bound.clone()
        } else if base == "input" {
            Abs::path((Root::Input, Vec::new()))
        } else if base == "data" {
            // `data.pave...` is the context; `data.<package>.<rule>...` a rule.
            let keys: Vec<Option<String>> = steps.iter().map(RefStep::key).collect();
            if keys.first() == Some(&Some("pave".to_string())) {
                rest = &steps[1..];
                Abs::path((Root::Context, Vec::new()))
            } else {
                let mut found = None;
                for split in 1..steps.len() {
                    let Some(names) = keys[..=split].iter().cloned().collect::<Option<Vec<_>>>()
                    else {
                        break;
                    };
                    let (name, target) = names.split_last().ok_or(())?;
                    if self.modules.in_package(target).next().is_some() {
                        found = Some((target.to_vec(), name.clone(), split));
                        break;
                    }
                }
                let (target, name, split) = found.ok_or(())?;
                rest = &steps[split + 1..];
                self.rule_value(&target, &name)?
            }
        } else if self.is_rule(package, &base) {
            self.rule_value(package, &base)?
        } else {
            // An unbound variable (bound by a later statement, or `_`): nothing yet.
            env.entry(base.clone()).or_default();
            Abs::default()
        };
        for step in rest {
            value = match step {
                RefStep::Field(name) => index(&value, &[Step::Key(name.clone())]),
                RefStep::Index(index_expr) => {
                    let unbound = match index_expr.as_ref() {
                        Expr::Var { value: name, .. } => name
                            .as_string()
                            .ok()
                            .filter(|n| !Self::is_bound(n, env) && !self.is_rule(package, n))
                            .map(|n| n.to_string()),
                        _ => None,
                    };
                    if let Some(name) = unbound {
                        // Ranges over the keys.
                        self.observe(&value, Mark::Keys);
                        if name != "_" {
                            env.insert(name, Abs::clean());
                        }
                        index(&value, &[Step::Any])
                    } else {
                        let key = self.expr(package, index_expr, env, head)?;
                        match key.exact() {
                            Some(consts) => {
                                let steps: Vec<Step> = consts
                                    .iter()
                                    .map(|c| match c {
                                        Value::String(s) => Step::Key(s.to_string()),
                                        _ => Step::Any,
                                    })
                                    .collect();
                                index(&value, &steps)
                            }
                            None => {
                                self.observe(&key, Mark::Whole);
                                index(&value, &[Step::Any])
                            }
                        }
                    }
                }
            };
        }
        // Where it is not there, the reference is undefined.
        for path in &value.paths {
            self.marks.insert((path.clone(), Mark::Exists));
        }
        Ok(value)
    }

    fn call(
        &mut self,
        package: &[String],
        fcn: &regorus::unstable::Ref<Expr>,
        params: &[regorus::unstable::Ref<Expr>],
        env: &mut Env,
        head: bool,
    ) -> Result<Abs, Unsupported> {
        let (base, steps) = flatten(fcn).ok_or(())?;
        let mut name = vec![base];
        for step in &steps {
            name.push(step.key().ok_or(())?);
        }
        let args = params
            .iter()
            .map(|p| self.expr(package, p, env, head))
            .collect::<Result<Vec<_>, _>>()?;
        // A function the policies define: its arguments are read whole, its value is what its
        // bodies give.
        let user = if name.first().map(String::as_str) == Some("data") {
            let (rule, target) = name[1..].split_last().ok_or(())?;
            Some((target.to_vec(), rule.clone()))
        } else if name.len() == 1 && self.is_rule(package, &name[0]) {
            Some((package.to_vec(), name[0].clone()))
        } else {
            None
        };
        if let Some((target, rule)) = user {
            for arg in &args {
                self.observe(arg, Mark::Whole);
            }
            return self.rule_value(&target, &rule);
        }
        let arg_mark = if head { Mark::Present } else { Mark::Whole };
        Ok(match (name.join(".").as_str(), args.as_slice()) {
            ("object.get", [object, key, default]) => match key.exact() {
                Some(keys) => {
                    let mut value = default.clone();
                    for key in keys {
                        let steps: Vec<Step> = match key {
                            Value::String(s) => vec![Step::Key(s.to_string())],
                            Value::Array(items) => items
                                .iter()
                                .map(|i| match i {
                                    Value::String(s) => Step::Key(s.to_string()),
                                    _ => Step::Any,
                                })
                                .collect(),
                            _ => vec![Step::Any],
                        };
                        let mut at = object.clone();
                        for step in steps {
                            at = index(&at, &[step]);
                        }
                        value.join(at);
                    }
                    // What is there decides between it and the default.
                    self.observe(object, Mark::Keys);
                    value
                }
                None => {
                    self.observe(object, Mark::Whole);
                    self.observe(key, Mark::Whole);
                    let mut value = default.clone();
                    value.other = true;
                    value
                }
            },
            ("count", [collection]) => {
                self.observe(collection, Mark::Keys);
                Abs::clean()
            }
            ("array.concat", [a, b]) => {
                self.observe(a, Mark::Keys);
                self.observe(b, Mark::Keys);
                let mut elements = element(a);
                elements.join(element(b));
                built(BTreeMap::from([(Step::Any, elements)]))
            }
            ("sprintf", _) => {
                for arg in &args {
                    self.observe(arg, arg_mark);
                }
                Abs::clean()
            }
            _ => {
                for arg in &args {
                    self.observe(arg, Mark::Whole);
                }
                Abs::clean()
            }
        })
    }

    /// The value of rule `name` of `package` (every definition's, joined); marks what computing
    /// it reads.
    fn rule_value(&mut self, package: &[String], name: &str) -> Result<Abs, Unsupported> {
        let id = (package.to_vec(), name.to_string());
        if let Some((value, marks)) = self.values.get(&id) {
            let value = value.clone();
            self.marks.extend(marks.iter().cloned());
            return Ok(value);
        }
        if !self.active.insert(id.clone()) {
            return Err(());
        }
        let outer = std::mem::take(&mut self.marks);
        // What the rule's own variables are drawn from guards nothing in the statement that
        // refers to it (`not rule` holds when the rule is undefined).
        let seen = std::mem::take(&mut self.seen_guards);
        let mut value = Abs::default();
        let mut defined = false;
        let modules = self.modules;
        for module in modules.in_package(package) {
            for rule in &module.policy {
                if rule_name(rule).as_deref() != Some(name) {
                    continue;
                }
                defined = true;
                match rule.as_ref() {
                    Ast::Default { value: v, args, .. } => {
                        if !args.is_empty() {
                            return Err(());
                        }
                        let mut env = Env::new();
                        value.join(self.expr(package, v, &mut env, false)?);
                    }
                    Ast::Spec { head, bodies, .. } => {
                        let (refr, args, assign, key) = match head {
                            RuleHead::Compr { refr, assign, .. } => (refr, &[][..], assign, None),
                            RuleHead::Set { refr, key, .. } => (refr, &[][..], &None, key.as_ref()),
                            RuleHead::Func {
                                refr, args, assign, ..
                            } => (refr, args.as_slice(), assign, None),
                        };
                        if flatten(refr).is_none_or(|(_, rest)| !rest.is_empty()) {
                            return Err(());
                        }
                        let mut bodies_seen = false;
                        for body in bodies {
                            bodies_seen = true;
                            let mut env = Env::new();
                            for arg in args {
                                self.bind(package, arg, Abs::clean(), &mut env)?;
                            }
                            self.query(package, &body.query, &mut env)?;
                            let assign = body.assign.as_ref().or(assign.as_ref());
                            value.join(self.head_value(package, assign, key, &mut env)?);
                        }
                        if !bodies_seen {
                            let mut env = Env::new();
                            for arg in args {
                                self.bind(package, arg, Abs::clean(), &mut env)?;
                            }
                            value.join(self.head_value(package, assign.as_ref(), key, &mut env)?);
                        }
                    }
                }
            }
        }
        self.active.remove(&id);
        self.seen_guards = seen;
        if !defined {
            // Not a rule after all (a package prefix, a rule of a shorter package's name).
            return Err(());
        }
        let marks = std::mem::replace(&mut self.marks, outer);
        self.marks.extend(marks.iter().cloned());
        self.values.insert(id, (value.clone(), marks));
        Ok(value)
    }

    /// A definition's value: its assigned value, a set of its keys, or `true`.
    fn head_value(
        &mut self,
        package: &[String],
        assign: Option<&regorus::unstable::RuleAssign>,
        key: Option<&regorus::unstable::Ref<Expr>>,
        env: &mut Env,
    ) -> Result<Abs, Unsupported> {
        if let Some(key) = key {
            let key = self.expr(package, key, env, false)?;
            return Ok(built(BTreeMap::from([(Step::Any, key)])));
        }
        match assign {
            Some(assign) => self.expr(package, &assign.value, env, false),
            None => Ok(Abs::constant(Value::Bool(true))),
        }
    }
}

/// The name a rule defines (the head's variable).
fn rule_name(rule: &Ast) -> Option<String> {
    let refr = match rule {
        Ast::Spec { head, .. } => match head {
            RuleHead::Compr { refr, .. }
            | RuleHead::Set { refr, .. }
            | RuleHead::Func { refr, .. } => refr,
        },
        Ast::Default { refr, .. } => refr,
    };
    flatten(refr).map(|(name, _)| name)
}

/// A value built by the rule, with these members.
fn built(members: BTreeMap<Step, Abs>) -> Abs {
    Abs {
        members,
        ..Abs::default()
    }
}

/// Any element of a collection.
fn element(collection: &Abs) -> Abs {
    index(collection, &[Step::Any])
}

/// The value at one of `steps` under `value`.
fn index(value: &Abs, steps: &[Step]) -> Abs {
    let mut out = Abs::default();
    for step in steps {
        for (root, path) in &value.paths {
            let mut path = path.clone();
            path.push(step.clone());
            out.paths.insert((*root, path));
        }
        match step {
            Step::Key(_) => {
                if let Some(member) = value.members.get(step) {
                    out.join(member.clone());
                }
                if let Some(member) = value.members.get(&Step::Any) {
                    out.join(member.clone());
                }
            }
            Step::Any => {
                for member in value.members.values() {
                    out.join(member.clone());
                }
            }
        }
    }
    // Inside a constant, or inside something already accounted for.
    if !value.consts.is_empty() || value.other {
        out.other = true;
    }
    out.guard.clone_from(&value.guard);
    out
}

impl Reads {
    /// Appends what of `object` and `context` these reads depend on to `out`, unambiguously:
    /// two inputs with the same view get the same answer.
    pub(super) fn view(&self, object: &Value, context: &Value, out: &mut Vec<u8>) {
        view(object, &self.input, out);
        out.extend_from_slice(&[0xff]);
        view(context, &self.context, out);
        for (guard, input_node, context_node) in &self.guarded {
            let on = guard.iter().any(|(root, steps)| {
                let root = match root {
                    Root::Input => object,
                    Root::Context => context,
                };
                not_empty(root, steps)
            });
            out.extend_from_slice(&[0xfd, u8::from(on)]);
            if on {
                view(object, input_node, out);
                out.extend_from_slice(&[0xff]);
                view(context, context_node, out);
            }
        }
    }
}

impl Reads {
    /// What of an object [`Reads::view`] reads, as a mask for converting it
    /// ([`crate::emit::engine_value::to_value_masked`]): the view of the masked value is the
    /// view of the whole. `None` when the view reads `data.pave.related` (which emit does not
    /// know while it converts an object: it depends on the folder's other objects), or reads
    /// the context whole or by its key set.
    pub(super) fn object_mask(&self) -> Option<Mask> {
        let context_ok = |context: &Node| {
            context.marks.is_empty()
                && context.any.is_none()
                && !context.children.contains_key("related")
        };
        if !context_ok(&self.context) {
            return None;
        }
        let mut mask = self.input.mask();
        for (guard, input, context) in &self.guarded {
            if !context_ok(context) {
                return None;
            }
            mask = mask.union(&input.mask());
            for (root, steps) in guard {
                match root {
                    // `not_empty` follows the path: all of what it reaches, to be sure.
                    Root::Input => {
                        let path: Vec<Option<&str>> = steps
                            .iter()
                            .map(|step| match step {
                                Step::Key(key) => Some(key.as_str()),
                                Step::Any => None,
                            })
                            .collect();
                        mask = mask.union(&Mask::path(&path));
                    }
                    Root::Context => match steps.first() {
                        Some(Step::Key(key)) if key != "related" => {}
                        _ => return None,
                    },
                }
            }
        }
        Some(mask)
    }
}

impl Node {
    /// What [`view`] reads of a value at this node, as a mask.
    fn mask(&self) -> Mask {
        if self.marks.contains(&Mark::Whole) || self.marks.contains(&Mark::Present) {
            return Mask::Full;
        }
        Mask::Fields {
            children: self
                .children
                .iter()
                .map(|(key, child)| (key.clone(), child.mask()))
                .collect(),
            any: self.any.as_ref().map(|any| Box::new(any.mask())),
            keys: self.marks.contains(&Mark::Keys) || self.any.is_some(),
        }
    }
}

/// Whether the value at `steps` may have elements: false only when it is absent or an empty
/// collection (a step through any key may reach a non-empty one).
fn not_empty(value: &Value, steps: &[Step]) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return match value {
            Value::Array(items) => !items.is_empty(),
            Value::Set(items) => !items.is_empty(),
            Value::Object(map) => !map.is_empty(),
            Value::Undefined | Value::Null => false,
            _ => true,
        };
    };
    match step {
        Step::Any => true,
        Step::Key(key) => match value {
            Value::Object(map) => member(map, key).is_some_and(|child| not_empty(child, rest)),
            _ => false,
        },
    }
}

/// The member `key` of an object. A generated object's maps are small: looked for among them
/// rather than by building the engine's string for `key` (an allocation per lookup, most of the
/// cost of a view).
fn member<'v>(map: &'v regorus::value::Object, key: &str) -> Option<&'v Value> {
    if map.len() > 16 {
        return map.get(&Value::from(key));
    }
    map.iter()
        .find(|(k, _)| matches!(k, Value::String(k) if k.as_ref() == key))
        .map(|(_, v)| v)
}

fn view(value: &Value, node: &Node, out: &mut Vec<u8>) {
    if node.is_empty() {
        return;
    }
    if node.marks.contains(&Mark::Whole) {
        whole(value, out);
        return;
    }
    let scalar = matches!(
        value,
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Undefined
    );
    let typed = node
        .marks
        .iter()
        .all(|m| matches!(m, Mark::Present | Mark::Exists));
    if scalar {
        // A scalar is small: all of it, unless only its presence and type count.
        if typed && node.children.is_empty() && node.any.is_none() {
            out.extend_from_slice(&[tag(value)]);
        } else {
            whole(value, out);
        }
        return;
    }
    if node.marks.contains(&Mark::Present) {
        whole(value, out);
        return;
    }
    out.extend_from_slice(&[tag(value)]);
    let keys = node.marks.contains(&Mark::Keys) || node.any.is_some();
    match value {
        Value::Object(map) => {
            if keys {
                out.extend_from_slice(&(map.len() as u64).to_le_bytes());
                for (key, child) in map.iter_sorted() {
                    whole(key, out);
                    let child_node = key
                        .as_string()
                        .ok()
                        .and_then(|k| node.children.get(k.as_ref()))
                        .or(node.any.as_deref());
                    if let Some(child_node) = child_node {
                        view(child, child_node, out);
                    }
                    out.extend_from_slice(&[0xfe]);
                }
            } else {
                for (key, child_node) in &node.children {
                    out.extend_from_slice(key.as_bytes());
                    out.extend_from_slice(&[0]);
                    match member(map, key) {
                        Some(child) => {
                            out.extend_from_slice(&[1]);
                            view(child, child_node, out);
                        }
                        None => {
                            out.extend_from_slice(&[0]);
                        }
                    }
                    out.extend_from_slice(&[0xfe]);
                }
            }
        }
        Value::Array(items) => {
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            // Elements are reached by `Any` only (a constant index is read as any).
            if let Some(any) = node.any.as_deref() {
                for item in items.iter() {
                    view(item, any, out);
                    out.extend_from_slice(&[0xfe]);
                }
            }
        }
        // A set's keys are its members.
        other => whole(other, out),
    }
}

fn tag(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Set(_) => 5,
        Value::Object(_) => 6,
        Value::Undefined => 7,
    }
}

/// All of a value, unambiguously.
fn whole(value: &Value, out: &mut Vec<u8>) {
    out.extend_from_slice(&[tag(value)]);
    match value {
        Value::Null | Value::Undefined => {}
        Value::Bool(b) => {
            out.extend_from_slice(&[u8::from(*b)]);
        }
        Value::Number(n) => {
            let text = n.format_decimal();
            out.extend_from_slice(&(text.len() as u64).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        Value::String(s) => {
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Array(items) => {
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items.iter() {
                whole(item, out);
            }
        }
        Value::Set(items) => {
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items.iter_sorted() {
                whole(item, out);
            }
        }
        Value::Object(map) => {
            out.extend_from_slice(&(map.len() as u64).to_le_bytes());
            for (key, child) in map.iter_sorted() {
                whole(key, out);
                whole(child, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value as Json, json};

    use super::*;
    use crate::source::{STDLIB, STDLIB_POLICIES};

    /// The view of `object` and `context` for the rule of `package`, among the stdlib's
    /// policies and `extra` (name, source); `None` when the analysis gives up on it.
    fn view_of(
        package: &str,
        extra: &[(&str, &str)],
        object: Json,
        context: Json,
    ) -> Option<String> {
        let sources = STDLIB
            .iter()
            .filter(|(p, _)| p.starts_with(STDLIB_POLICIES))
            .map(|(p, t)| (*p, *t))
            .chain(extra.iter().copied());
        let reads = Modules::parse(sources)?.reads(package)?;
        let mut out = Vec::new();
        reads.view(&Value::from(object), &Value::from(context), &mut out);
        Some(blake3::hash(&out).to_hex().to_string())
    }

    fn deployment(name: &str, image: &str, resources: Json) -> Json {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "namespace": "shop-prod", "labels": {"app": name}},
               "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": name}},
                   "spec": {"containers": [{"name": name, "image": image, "resources": resources,
                       "env": [{"name": "OTEL_SERVICE_NAME", "value": name}]}]}}}})
    }

    #[test]
    fn a_rule_sees_only_the_fields_it_reads() {
        let sized = json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}});
        let context = json!({"tier": "production", "file": "a.yaml"});
        let view = |name: &str, image: &str, resources: Json| {
            view_of(
                "guardrails.resources_set",
                &[],
                deployment(name, image, resources),
                context.clone(),
            )
        };
        let orders = view("orders", "registry.example.com/orders:1.0", sized.clone());
        assert!(orders.is_some());
        // Names, images and variables are not what `resources-set` decides on...
        assert_eq!(
            orders,
            view("users", "registry.example.com/users:2.0", sized.clone())
        );
        // ...the resources are.
        let mut unsized_ = sized.clone();
        unsized_["limits"] = json!({"cpu": "2"});
        assert_ne!(
            orders,
            view("orders", "registry.example.com/orders:1.0", unsized_)
        );
        // `image-tag-pinned` decides on the image, and not on the tier.
        let pinned = |image: &str, tier: &str| {
            view_of(
                "guardrails.image_tag_pinned",
                &[],
                deployment("orders", image, sized.clone()),
                json!({"tier": tier}),
            )
        };
        assert_ne!(
            pinned("r/orders:1.0", "production"),
            pinned("r/orders:latest", "production")
        );
        assert_eq!(
            pinned("r/orders:1.0", "production"),
            pinned("r/orders:1.0", "development")
        );
    }

    #[test]
    fn reads_under_an_empty_collection_do_not_count() {
        // `production-replicas` compares names with Gatekeeper's `data.pave.autoscaled`, which
        // pave leaves out: without it, two Deployments differ only in what no statement reads.
        let view = |name: &str, context: Json| {
            let object = deployment(name, "r/app:1.0", json!({}));
            view_of("guardrails.production_replicas", &[], object, context)
        };
        let prod = json!({"tier": "production", "related": {"autoscalers": []}});
        assert!(view("orders", prod.clone()).is_some());
        assert_eq!(view("orders", prod.clone()), view("users", prod));
        let listed = json!({"tier": "production", "autoscaled": [
            {"namespace": "shop-prod", "kind": "Deployment", "name": "orders"}]});
        assert_ne!(view("orders", listed.clone()), view("users", listed));
    }

    #[test]
    fn a_comprehension_or_a_rule_over_an_empty_collection_guards_nothing_around_it() {
        // Both statements are evaluated with `input.a` empty: `input.b` still decides.
        let counted = "package custom.counted\nimport rego.v1\ndeny contains \"x\" if {\n\tcount([x | some x in input.a]) == count(input.b)\n}\n";
        let helper = "package custom.helper\nimport rego.v1\nfirst := x if {\n\tsome x in input.a\n}\ndeny contains \"x\" if {\n\tnot first\n\tcount([1 | input.b[_] == 1]) > 0\n}\n";
        for (package, source) in [("custom.counted", counted), ("custom.helper", helper)] {
            let view = |b: Json| {
                view_of(
                    package,
                    &[("custom.rego", source)],
                    json!({"a": [], "b": b}),
                    json!({}),
                )
            };
            assert!(view(json!([])).is_some(), "{package}");
            assert_ne!(view(json!([])), view(json!([1])), "{package}");
        }
    }

    #[test]
    fn what_the_analysis_cannot_follow_is_evaluated_every_time() {
        let with = "package custom.with\nimport rego.v1\ndeny contains \"x\" if {\n\tdata.custom.helper.ok with input as {}\n}\n";
        let helper = "package custom.helper\nimport rego.v1\nok if input.kind == \"Pod\"\n";
        assert_eq!(
            view_of(
                "custom.with",
                &[("with.rego", with), ("helper.rego", helper)],
                json!({}),
                json!({})
            ),
            None
        );
        let alias = "package custom.alias\nimport rego.v1\nimport data.custom.helper\ndeny contains \"x\" if helper.ok\n";
        assert_eq!(
            view_of(
                "custom.alias",
                &[("alias.rego", alias), ("helper.rego", helper)],
                json!({}),
                json!({})
            ),
            None
        );
        // A rule that walks the whole object sees every field.
        let walk = "package custom.walk\nimport rego.v1\ndeny contains \"x\" if {\n\tsome path, value in walk(input)\n\tvalue == \"secret\"\n}\n";
        let a = view_of(
            "custom.walk",
            &[("walk.rego", walk)],
            json!({"metadata": {"name": "a"}}),
            json!({}),
        );
        let b = view_of(
            "custom.walk",
            &[("walk.rego", walk)],
            json!({"metadata": {"name": "b"}}),
            json!({}),
        );
        assert!(a.is_some());
        assert_ne!(a, b);
    }

    /// Every Kubernetes rule among the stdlib's and `extra`, with its reads.
    fn all_reads(extra: &[(&str, &str)]) -> Vec<(String, Reads)> {
        let sources: Vec<(&str, &str)> = STDLIB
            .iter()
            .filter(|(p, _)| p.starts_with(STDLIB_POLICIES))
            .map(|(p, t)| (*p, *t))
            .chain(extra.iter().copied())
            .collect();
        let Some(modules) = Modules::parse(sources.iter().copied()) else {
            return Vec::new();
        };
        sources
            .iter()
            .filter_map(|(_, text)| {
                let package = text
                    .lines()
                    .find_map(|l| l.strip_prefix("package "))?
                    .trim();
                Some((package.to_string(), modules.reads(package)?))
            })
            .collect()
    }

    #[test]
    fn a_view_of_the_masked_object_is_the_view_of_the_whole() {
        use crate::emit::engine_value::{to_value, to_value_masked};
        use k8s_openapi::api::apps::v1::Deployment;
        use k8s_openapi::api::core::v1::Service;

        // Rules that read a key set, iterate every key and element, and guard on a collection.
        let keys = "package custom.keys\nimport rego.v1\ndeny contains \"x\" if {\n\tcount(input.metadata.labels) > 2\n\tsome port in input.spec.ports\n\tport.port == 22\n}\n";
        let every = "package custom.every\nimport rego.v1\ndeny contains msg if {\n\tsome key, value in input.metadata.annotations\n\tstartswith(value, \"x\")\n\tmsg := sprintf(\"%v\", [key])\n}\n";
        let guarded = "package custom.guarded\nimport rego.v1\ndeny contains \"x\" if {\n\tsome c in input.spec.template.spec.containers\n\tc.name == input.metadata.name\n}\n";
        let extra = [
            ("keys.rego", keys),
            ("every.rego", every),
            ("guarded.rego", guarded),
        ];
        let all = all_reads(&extra);
        assert!(all.len() >= 14, "{} rules analysed", all.len());
        let service: Service = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop-prod",
                "labels": {"app": "web", "tier": "front", "team": "a"},
                "annotations": {"a": "xyz", "b": "no"}},
            "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"port": 22}]}
        }))
        .unwrap_or_default();
        let deployment: Deployment = serde_json::from_value(deployment(
            "web",
            "registry.example.com/web:1.0",
            json!({"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}),
        ))
        .unwrap_or_default();
        assert!(service.spec.is_some() && deployment.spec.is_some());
        let context = Value::from(json!({"tier": "production", "file": "a.yaml",
            "declared": {"publicIngress": [{"namespace": "shop-prod", "service": "web"}]}}));
        let mut union = Mask::empty();
        let mut masked_rules = 0;
        for (package, reads) in &all {
            let Some(mask) = reads.object_mask() else {
                continue;
            };
            masked_rules += 1;
            union = union.union(&mask);
            for mask in [&mask, &union] {
                for (whole, masked) in [
                    (to_value(&service), to_value_masked(&service, mask)),
                    (to_value(&deployment), to_value_masked(&deployment, mask)),
                ] {
                    assert!(whole.is_ok() && masked.is_ok(), "{package}");
                    let (Ok(whole), Ok(masked)) = (whole, masked) else {
                        continue;
                    };
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    reads.view(&whole, &context, &mut a);
                    reads.view(&masked, &context, &mut b);
                    assert_eq!(a, b, "{package}");
                }
            }
        }
        assert!(masked_rules >= 10, "{masked_rules} rules with a mask");
        // The mask leaves out what no rule reads.
        assert_ne!(
            to_value_masked(&service, &union).ok(),
            to_value(&service).ok()
        );
    }
}
