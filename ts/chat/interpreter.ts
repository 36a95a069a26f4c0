/**
 * @huggingface/jinja's Interpreter with the behaviour of Python jinja2 as transformers configures it, where the
 * library differs and a chat template can notice:
 *  - printing `{{ x }}`, `x|string` and `a ~ b` use Python's str(): None → "None", True → "True", lists and
 *    dicts in repr form, floats as Python writes them (the library prints "" for none, JS-style numbers);
 *  - `for` over an undefined value runs zero times (the library throws) and over a string yields characters;
 *  - attribute or item access on an undefined value fails, as jinja2's Undefined does (the library yields
 *    undefined again, hiding template bugs);
 *  - `==`, `!=`, `in`, `not in` compare like Python: deep for lists/dicts, no JS coercion ("1" != 1);
 *  - `tojson` is transformers' filter: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
 *    sort_keys=False), Python number formatting, positional arguments in that order;
 *  - `length`, `count`, `list`, `string`, `trim` accept an undefined value (0, [], "", "");
 *  - a dict lookup with an undefined/non-string key is undefined (the library throws);
 *  - `is iterable` is true for dicts and undefined too; `select` / `reject` filters exist.
 * Overrides go through the public `evaluate`: the changed operand is evaluated once and handed back to the
 * library inside a shallow copy of the node whose child is a pre-evaluated value node.
 */
import { Interpreter, type Environment } from "@huggingface/jinja";
import { pyEquals } from "./py-equals.ts";
import { pyJsonDumps, PyJsonError, type PyJsonOptions } from "./py-json.ts";
import { pyStr } from "./py-str.ts";
import { isArrayLike, isMapping, isUndefined, toPlain, toRuntime, type Node, type RuntimeValue } from "./runtime.ts";

const VALUE_NODE = "IngotValue";

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyNode = Node & Record<string, any>;

function valueNode(value: RuntimeValue): Node {
  return { type: VALUE_NODE, value } as unknown as Node;
}

/** Short source-like name of an expression, for error messages. */
function describe(node: AnyNode): string {
  switch (node.type) {
    case "Identifier":
      return node.value;
    case "IntegerLiteral":
      return String(node.value);
    case "StringLiteral":
      return JSON.stringify(node.value);
    case "MemberExpression":
      return node.computed ? `${describe(node.object)}[${describe(node.property)}]` : `${describe(node.object)}.${describe(node.property)}`;
    case "CallExpression":
      return `${describe(node.callee)}(…)`;
    default:
      return "expression";
  }
}

const UNDEFINED_FILTER_RESULTS: Record<string, unknown> = { length: 0, count: 0, list: [], string: "", trim: "" };

export class TemplateRuntimeError extends Error {}

export class PyInterpreter extends Interpreter {
  constructor(
    env: Environment,
    /** Expression nodes whose value is printed (direct children of a template body). */
    private readonly outputNodes: WeakSet<object>,
  ) {
    super(env);
  }

  override evaluate(statement: Node | undefined, environment: Environment): RuntimeValue {
    if (!statement) return super.evaluate(statement, environment);
    const node = statement as AnyNode;
    if (node.type === VALUE_NODE) return node.value as RuntimeValue;
    if (this.outputNodes.has(node)) {
      const value = this.evaluateNode(node, environment);
      return value.type === "StringValue" ? value : toRuntime(pyStr(value));
    }
    return this.evaluateNode(node, environment);
  }

  private evaluateNode(node: AnyNode, env: Environment): RuntimeValue {
    switch (node.type) {
      case "For":
        return this.forLoop(node, env);
      case "MemberExpression":
        return this.memberAccess(node, env);
      case "BinaryExpression":
        return this.binaryOp(node, env);
      case "FilterExpression":
        return this.filterOp(node, env);
      case "TestExpression":
        if (node.test.value === "iterable") {
          // Python: strings, lists, dicts and jinja2's Undefined are iterable.
          const v = this.evaluate(node.operand, env);
          const iterable = ["StringValue", "ArrayValue", "TupleValue", "ObjectValue", "KeywordArgumentsValue", "UndefinedValue"].includes(v.type);
          return toRuntime(iterable !== Boolean(node.negate));
        }
        return super.evaluate(node, env);
      default:
        return super.evaluate(node, env);
    }
  }

  private forLoop(node: AnyNode, env: Environment): RuntimeValue {
    const select = node.iterable.type === "SelectExpression" ? (node.iterable as AnyNode) : undefined;
    let items = this.evaluate(select ? select.lhs : node.iterable, env);
    if (isUndefined(items)) items = toRuntime([]);
    else if (items.type === "StringValue") items = toRuntime(Array.from(items.value as string));
    const iterable = select ? { ...select, lhs: valueNode(items) } : valueNode(items);
    return super.evaluate({ ...node, iterable } as unknown as Node, env);
  }

  private memberAccess(node: AnyNode, env: Environment): RuntimeValue {
    const object = this.evaluate(node.object, env);
    if (isUndefined(object)) {
      const what = node.computed ? `[${describe(node.property)}]` : `.${describe(node.property)}`;
      throw new TemplateRuntimeError(`'${describe(node.object)}' is undefined (reading ${what})`);
    }
    if (!node.computed || node.property.type === "SliceExpression") {
      return super.evaluate({ ...node, object: valueNode(object) } as unknown as Node, env);
    }
    const property = this.evaluate(node.property, env);
    // Python: a dict lookup with a missing or non-string key, or a list index that is not an int, is undefined.
    const keyed = isMapping(object) || object.type === "NamespaceValue";
    if ((keyed && property.type !== "StringValue") || (isArrayLike(object) && property.type !== "IntegerValue" && property.type !== "StringValue")) {
      return toRuntime(undefined);
    }
    return super.evaluate({ ...node, object: valueNode(object), property: valueNode(property) } as unknown as Node, env);
  }

  private binaryOp(node: AnyNode, env: Environment): RuntimeValue {
    const op = node.operator.value as string;
    if (!["==", "!=", "in", "not in", "~"].includes(op)) return super.evaluate(node, env);
    const left = this.evaluate(node.left, env);
    const right = this.evaluate(node.right, env);
    if (op === "~") return toRuntime(pyStr(left) + pyStr(right));
    if (op === "==" || op === "!=") return toRuntime(pyEquals(left, right) === (op === "=="));
    if (isArrayLike(right)) {
      const found = (right.value as RuntimeValue[]).some((x) => pyEquals(left, x));
      return toRuntime(found === (op === "in"));
    }
    return super.evaluate({ ...node, left: valueNode(left), right: valueNode(right) } as unknown as Node, env);
  }

  private filterOp(node: AnyNode, env: Environment): RuntimeValue {
    const filter = node.filter as AnyNode;
    const name: string | undefined =
      filter.type === "Identifier" ? filter.value : filter.type === "CallExpression" && filter.callee.type === "Identifier" ? filter.callee.value : undefined;
    const operand = this.evaluate(node.operand, env);
    if (name === "tojson") return toRuntime(this.tojson(operand, filter.type === "CallExpression" ? filter.args : [], env));
    if (name === "string") return toRuntime(pyStr(operand));
    if ((name === "select" || name === "reject") && isArrayLike(operand)) {
      return this.selectOrReject(operand, name === "select", filter.type === "CallExpression" ? filter.args : [], env);
    }
    if (name && isUndefined(operand) && name in UNDEFINED_FILTER_RESULTS) return toRuntime(UNDEFINED_FILTER_RESULTS[name]);
    return super.evaluate({ ...node, operand: valueNode(operand) } as unknown as Node, env);
  }

  /** jinja2's select(test, *args) / reject(test, *args); without a test, the items' truthiness. */
  private selectOrReject(items: RuntimeValue, keep: boolean, args: AnyNode[], env: Environment): RuntimeValue {
    const [testName, ...rest] = args.map((a) => this.evaluate(a, env));
    let test: (x: RuntimeValue) => boolean = (x) => x.__bool__().value;
    if (testName) {
      const name = String(testName.value);
      const fn = env.tests.get(name);
      if (!fn) throw new TemplateRuntimeError(`No test named '${name}'`);
      test = name === "equalto" || name === "eq" || name === "==" ? (x) => pyEquals(x, rest[0]) : (x) => fn(x, ...rest);
    }
    const kept = (items.value as RuntimeValue[]).filter((x) => test(x) === keep);
    const result = toRuntime([]);
    result.value = kept;
    return result;
  }

  /** transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False). */
  private tojson(operand: RuntimeValue, args: AnyNode[], env: Environment): string {
    const names = ["ensure_ascii", "indent", "separators", "sort_keys"];
    const given = new Map<string, RuntimeValue>();
    let position = 0;
    for (const arg of args) {
      const key = arg.type === "KeywordArgumentExpression" ? (arg.key.value as string) : names[position++];
      if (!key || !names.includes(key)) throw new TemplateRuntimeError(`tojson() got an unexpected argument ${key ? `'${key}'` : "(too many positional arguments)"}`);
      given.set(key, this.evaluate(arg.type === "KeywordArgumentExpression" ? arg.value : arg, env));
    }
    const opts: PyJsonOptions = {};
    const ensureAscii = given.get("ensure_ascii");
    if (ensureAscii) opts.ensureAscii = ensureAscii.__bool__().value;
    const indent = given.get("indent");
    if (indent && indent.type !== "NullValue") {
      if (indent.type !== "IntegerValue" && indent.type !== "StringValue") throw new TemplateRuntimeError("tojson: indent must be an integer or a string");
      opts.indent = indent.value as number | string;
    }
    const separators = given.get("separators");
    if (separators && separators.type !== "NullValue") {
      const parts = isArrayLike(separators) ? (separators.value as RuntimeValue[]) : [];
      if (parts.length !== 2 || parts.some((p) => p.type !== "StringValue")) throw new TemplateRuntimeError("tojson: separators must be a pair of strings");
      opts.separators = [parts[0].value as string, parts[1].value as string];
    }
    const sortKeys = given.get("sort_keys");
    if (sortKeys) opts.sortKeys = sortKeys.__bool__().value;
    try {
      return pyJsonDumps(toPlain(operand), opts);
    } catch (e) {
      if (e instanceof PyJsonError) throw new TemplateRuntimeError(`tojson: ${e.message}`);
      throw e;
    }
  }
}
