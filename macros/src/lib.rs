//! The attribute macros of [perftrack](https://docs.rs/perftrack): use them
//! through perftrack, which re-exports them (`#[perftrack::measure]`, …) and
//! documents them. This crate only rewrites the item: every expansion is a
//! call into `perftrack::__private`, where naming, resolution and timing live.
//!
//! With the `off` feature (perftrack's `off`), every attribute expands to the
//! item as written.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Block, Expr, ImplItem, Item, ItemFn, ItemImpl, ItemMod, Lit, Meta, ReturnType, Stmt, Token, Type,
    parse_quote,
};

/// Times every call of the function into an operation named after it, in
/// the process-wide tracker (`perftrack::global()`) unless `tracker = …` names
/// another.
///
/// ```
/// use perftrack::PerformanceTracker;
///
/// #[perftrack::measure]
/// fn parse(input: &str) -> usize { input.len() }            // "parse" (or "parser::parse" in mod parser)
///
/// static TRACKER: PerformanceTracker = PerformanceTracker::new();
///
/// #[perftrack::measure(name = "db query", tracker = &TRACKER)]
/// async fn query(id: u32) -> Result<u32, String> { Ok(id) }  // any `&'static Tracker`, or a HeapTracker
///
/// parse("a,b");
/// let _unpolled = query(7);                                  // a future never polled is not a call
/// assert_eq!(perftrack::global().summaries().find(|s| s.name.ends_with("parse")).unwrap().count, 1);
/// assert_eq!(TRACKER.summary("db query").map_or(0, |s| s.count), 0);
/// ```
///
/// * **Names.** The function's path within its crate: `parser::parse` for
///   `fn parse` in module `parser`, `Svc::alpha` for a method (or any
///   function of an `impl` block under `measure_all`) of `Svc`, with the crate
///   name and generic arguments left out. A path longer than the 64-byte name
///   cap loses leading segments until it fits, so it always ends with the
///   function's name. `name = "…"` sets it. The name is resolved at the first
///   call and the slot kept in a `static` of the call site: no call looks a
///   name up.
/// * **Sync functions** (free, methods, generic, returning `impl Trait`): a
///   scope guard around the body. Calls nest in the call tree.
/// * **`async fn`**: the body runs as a `Timed` future, recorded from its
///   first poll to completion, with its busy time (the time its polls took).
///   `#[measure(cpu_time)]` also reads the thread CPU clock around each poll
///   for the call's CPU time: off by default, since that clock is a system
///   call on many machines, twice a poll (an error on a sync fn). The future is
///   `Send` whenever the body is; a future never polled is not a call, and
///   one dropped mid-flight is counted cancelled, apart from the completed
///   calls (no record). It nests
///   in the call tree under the measured call that first polls it, and the
///   measured calls it makes nest under it; it is a task boundary, so guards
///   of other tasks polled on the same thread never nest under it.
/// * **A full tracker** runs the function untimed; nothing panics. The first
///   refusal in a process is said once on stderr, with its name.
/// * With perftrack's `off` feature the attribute expands to the function as
///   written.
#[proc_macro_attribute]
pub fn measure(attr: TokenStream, item: TokenStream) -> TokenStream {
    if cfg!(feature = "off") {
        return item;
    }
    expand(&item, || {
        let options = Options::parse(attr.into(), true)?;
        let mut function = function(item.clone(), "measure")?;
        instrument(&mut function, &options, false)?;
        Ok(quote!(#function))
    })
}

/// `measure` on every function of an `impl` block or an inline module
/// (nested inline modules and `impl` blocks included), but those marked
/// `#[perftrack::skip]` (or `#[skip]`), `const fn`s, and functions with a
/// `measure` of their own. Takes `tracker = …`, and `cpu_time` (for the
/// async functions among them).
///
/// ```
/// struct Store(Vec<(String, u32)>);
///
/// #[perftrack::measure_all]
/// impl Store {
///     fn get(&self, key: &str) -> Option<u32> {              // "Store::get"
///         let h = Self::hash(key);
///         self.0.iter().find(|(k, _)| Self::hash(k) == h && k == key).map(|(_, v)| *v)
///     }
///     #[perftrack::skip]
///     fn hash(key: &str) -> u64 { key.len() as u64 }          // untimed
/// }
///
/// let store = Store(vec![("a".into(), 1)]);
/// assert_eq!(store.get("a"), Some(1));
/// let names: Vec<_> = perftrack::global().summaries().map(|s| s.name.to_string()).collect();
/// assert!(names.iter().any(|n| n.ends_with("Store::get")) && !names.iter().any(|n| n.ends_with("hash")));
/// ```
#[proc_macro_attribute]
pub fn measure_all(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(&item, || {
        let options = Options::parse(attr.into(), false)?;
        let mut item: Item = syn::parse(item.clone())?;
        match &mut item {
            Item::Impl(block) => instrument_impl(block, &options)?,
            Item::Mod(module) => instrument_mod(module, &options)?,
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "perftrack::measure_all goes on an `impl` block or an inline module (`mod name { … }`)",
                ));
            }
        }
        Ok(quote!(#item))
    })
}

/// Leaves one function of a `#[perftrack::measure_all]` block untimed. On
/// its own it does nothing.
#[proc_macro_attribute]
pub fn skip(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// On `fn main`: prints the process-wide tracker's report to stderr when
/// `main` returns (or unwinds; not after `std::process::exit`), and writes
/// the outputs `PERFTRACK_OUT` names: `json=PATH` (feature `serde`),
/// `folded=PATH`, `svg=PATH` (feature `flamegraph`), comma-separated.
/// Stack it above `#[tokio::main]` on an `async fn main`.
///
/// ```
/// #[perftrack::measure]
/// fn work() -> u64 { (1..=100).sum() }
///
/// #[perftrack::main] // the report, with `work`'s row, on stderr when main returns
/// fn main() {
///     assert_eq!(work(), 5050);
/// }
/// ```
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    if cfg!(feature = "off") {
        return item;
    }
    expand(&item, || {
        if !attr.is_empty() {
            return Err(syn::Error::new(TokenStream2::from(attr).span(), "perftrack::main takes no options"));
        }
        let mut function = function(item.clone(), "main")?;
        let report: syn::Stmt = parse_quote! {
            let __perftrack_report = ::perftrack::__private::ReportAtExit::new();
        };
        function.block.stmts.insert(0, report);
        Ok(quote!(#function))
    })
}

/// The expansion `f` makes of `item`, or, when `f` fails, its error beside
/// `item` as written: the program then fails with that error alone, not
/// with more about an item that went missing (a `main` not found, a
/// function not in scope).
fn expand(item: &TokenStream, f: impl FnOnce() -> syn::Result<TokenStream2>) -> TokenStream {
    match f() {
        Ok(expanded) => expanded.into(),
        Err(error) => {
            let item = TokenStream2::from(item.clone());
            let error = error.into_compile_error();
            quote!(#error #item).into()
        }
    }
}

/// `item` as a function, or an error that says where the attribute goes.
fn function(item: TokenStream, attribute: &str) -> syn::Result<ItemFn> {
    syn::parse::<ItemFn>(item.clone()).map_err(|error| match syn::parse::<Item>(item) {
        Ok(other) if !matches!(other, Item::Fn(_)) => {
            let hint = match attribute {
                "measure" => "; on an `impl` block or a module, use perftrack::measure_all",
                "main" => " (`fn main`)",
                _ => "",
            };
            syn::Error::new(other.span(), format!("perftrack::{attribute} goes on a function{hint}"))
        }
        _ => error,
    })
}

/// The error for an option the attribute does not take, naming those it does.
fn unknown_option(path: &syn::Path, name_allowed: bool) -> syn::Error {
    let key = path.get_ident().map(ToString::to_string).unwrap_or_else(|| quote!(#path).to_string());
    let takes = if name_allowed {
        "`name = \"…\"`, `tracker = EXPR` and `cpu_time`"
    } else {
        "`tracker = EXPR` and `cpu_time`"
    };
    syn::Error::new(path.span(), format!("unknown option `{key}`: this takes {takes}"))
}

/// `name = "…"`, `tracker = EXPR` and `cpu_time`.
struct Options {
    name: Option<syn::LitStr>,
    tracker: Option<Expr>,
    /// An async fn's polls also read the thread CPU clock (where the
    /// option was written).
    cpu_time: Option<proc_macro2::Span>,
    /// The options of one function's `measure`, not a `measure_all`'s.
    single: bool,
}

impl Options {
    fn parse(attr: TokenStream2, name_allowed: bool) -> syn::Result<Self> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr)?;
        let mut options = Self { name: None, tracker: None, cpu_time: None, single: name_allowed };
        for meta in metas {
            let pair = match meta {
                Meta::NameValue(pair) => pair,
                Meta::Path(path) if path.is_ident("cpu_time") => {
                    options.cpu_time = Some(path.span());
                    continue;
                }
                Meta::Path(path) if path.is_ident("tracker") => {
                    return Err(syn::Error::new(path.span(), "`tracker` takes a value: tracker = &MY_TRACKER"));
                }
                Meta::Path(path) if path.is_ident("name") && name_allowed => {
                    return Err(syn::Error::new(path.span(), "`name` takes a value: name = \"…\""));
                }
                other => return Err(unknown_option(other.path(), name_allowed)),
            };
            let key = pair.path.get_ident().map(ToString::to_string).unwrap_or_default();
            match (key.as_str(), pair.value) {
                ("name", Expr::Lit(syn::ExprLit { lit: Lit::Str(name), .. })) if name_allowed => {
                    if name.value().is_empty() {
                        return Err(syn::Error::new(name.span(), "an operation name cannot be empty"));
                    }
                    options.name = Some(name);
                }
                ("name", value) if name_allowed => {
                    return Err(syn::Error::new(value.span(), "`name` takes a string literal: name = \"…\""));
                }
                ("tracker", value) => options.tracker = Some(value),
                _ => return Err(unknown_option(&pair.path, name_allowed)),
            }
        }
        Ok(options)
    }

    /// The tracker expression: the option's, or the process-wide tracker.
    fn tracker(&self) -> TokenStream2 {
        match &self.tracker {
            Some(expr) => quote!(#expr),
            None => quote!(::perftrack::global()),
        }
    }
}

/// Whether `attrs` holds `#[skip]` or `#[perftrack::skip]`; removes it.
fn take_skip(attrs: &mut Vec<Attribute>) -> bool {
    let before = attrs.len();
    attrs.retain(|a| !is_ours(a, "skip"));
    attrs.len() != before
}

/// `#[name]` or `#[perftrack::name]`.
fn is_ours(attr: &Attribute, name: &str) -> bool {
    let segments: Vec<String> = attr.path().segments.iter().map(|s| s.ident.to_string()).collect();
    segments == [name] || segments == ["perftrack", name]
}

fn instrument_impl(block: &mut ItemImpl, options: &Options) -> syn::Result<()> {
    for item in &mut block.items {
        if let ImplItem::Fn(method) = item {
            if take_skip(&mut method.attrs) || method.sig.constness.is_some() {
                continue;
            }
            if method.attrs.iter().any(|a| is_ours(a, "measure")) {
                continue; // it has its own options
            }
            let mut function = ItemFn {
                attrs: core::mem::take(&mut method.attrs),
                vis: method.vis.clone(),
                sig: method.sig.clone(),
                block: Box::new(method.block.clone()),
            };
            if !cfg!(feature = "off") {
                instrument(&mut function, options, true)?;
            }
            method.attrs = function.attrs;
            method.block = *function.block;
        }
    }
    Ok(())
}

fn instrument_mod(module: &mut ItemMod, options: &Options) -> syn::Result<()> {
    let Some((_, items)) = &mut module.content else {
        return Err(syn::Error::new(
            module.span(),
            "perftrack::measure_all needs the module's items here: an inline `mod name { … }`",
        ));
    };
    for item in items {
        match item {
            Item::Fn(function) => {
                if take_skip(&mut function.attrs)
                    || function.sig.constness.is_some()
                    || function.attrs.iter().any(|a| is_ours(a, "measure"))
                {
                    continue;
                }
                if !cfg!(feature = "off") {
                    instrument(function, options, false)?;
                }
            }
            Item::Impl(block) => {
                if take_skip(&mut block.attrs) {
                    continue;
                }
                instrument_impl(block, options)?;
            }
            Item::Mod(inner) if inner.content.is_some() => {
                if take_skip(&mut inner.attrs) {
                    continue;
                }
                instrument_mod(inner, options)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Rewrites `function`'s body to time each call. `in_impl`: the function is
/// in an `impl` block, so `Self` names its type.
fn instrument(function: &mut ItemFn, options: &Options, in_impl: bool) -> syn::Result<()> {
    let sig = &function.sig;
    if let Some(constness) = sig.constness {
        return Err(syn::Error::new(constness.span(), "perftrack::measure cannot time a `const fn`"));
    }
    let ident = sig.ident.to_string();
    let name = match &options.name {
        Some(name) => quote!(::perftrack::__private::SiteName::Given(#name)),
        None if in_impl || sig.receiver().is_some() => {
            quote!(::perftrack::__private::SiteName::Method(::core::any::type_name::<Self>(), #ident))
        }
        None => quote!(::perftrack::__private::SiteName::Path(::core::module_path!(), #ident)),
    };
    let tracker = options.tracker();
    let site = quote! {
        static __PERFTRACK_SITE: ::perftrack::__private::CallSite = ::perftrack::__private::CallSite::new();
    };
    if sig.asyncness.is_some() {
        // The body runs as a future of its own, timed from its first poll to
        // completion (a `Timed`): `Send` whenever the body is. Its output is
        // tied to the declared return type, so that `?` and `return` infer
        // as they did in the `async fn`.
        let block = &function.block;
        let span = block.span();
        let inner = match &sig.output {
            ReturnType::Default => quote_spanned!(span=> ::perftrack::__private::output::<(), _>(async move #block)),
            ReturnType::Type(_, ty) if !contains_impl_trait(ty) => {
                quote_spanned!(span=> ::perftrack::__private::output::<#ty, _>(async move #block))
            }
            ReturnType::Type(..) => quote_spanned!(span=> async move #block),
        };
        let wrap = if options.cpu_time.is_some() {
            quote!(::perftrack::__private::MaybeTimed::with_cpu_time)
        } else {
            quote!(::perftrack::__private::MaybeTimed::new)
        };
        let body: Block = parse_quote! {{
            let __perftrack_op = {
                #site
                __PERFTRACK_SITE.operation(#tracker, || #name)
            };
            #wrap(__perftrack_op, #inner).await
        }};
        *function.block = body;
    } else if let (Some(span), true) = (options.cpu_time, options.single) {
        return Err(syn::Error::new(
            span,
            "`cpu_time` reads the thread CPU clock around an async fn's polls; a sync fn's call is one span of one thread, timed by its wall time",
        ));
    } else {
        // The guard goes first in the body as written: no block around it,
        // so no lint sees braces it did not write.
        let guard: Stmt = parse_quote! {
            let __perftrack_guard = {
                #site
                __PERFTRACK_SITE.guard(#tracker, || #name)
            };
        };
        function.block.stmts.insert(0, guard);
    }
    Ok(())
}

/// Whether `ty` mentions `impl Trait`, which a `let` cannot be annotated with.
fn contains_impl_trait(ty: &Type) -> bool {
    fn any_impl(tokens: TokenStream2) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == "impl",
            proc_macro2::TokenTree::Group(g) => any_impl(g.stream()),
            _ => false,
        })
    }
    any_impl(quote!(#ty))
}
