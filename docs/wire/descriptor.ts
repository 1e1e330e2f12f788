/**
 * Rebuilds declarations from their descriptor text (PROTOCOL.md §7, §15) alone: a field kind, an
 * entity schema (`entity Name{…}`), an RPC catalog (its descriptor lines). The vectors embed these
 * texts; self-sufficient.test.ts decodes every vector with what this file rebuilds from them, as a
 * client in another language would from its own declaration, and never with the TypeScript that
 * made the vectors.
 */
import {
  type AnyDeclaration,
  type AnyFieldType,
  defineEntity,
  defineRpcs,
  type EntitySchema,
  type EventDeclaration,
  event,
  type FieldMap,
  type RpcCatalog,
  type RpcDeclaration,
  type RpcDelivery,
  type RpcDirection,
  rpc,
  t,
} from '@shardline/core';

class Parser {
  at = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new Error(`descriptor ${JSON.stringify(this.text)} at ${this.at}: ${what}`);
  }

  eat(literal: string): boolean {
    if (!this.text.startsWith(literal, this.at)) return false;
    this.at += literal.length;
    return true;
  }

  expect(literal: string): void {
    if (!this.eat(literal)) this.fail(`expected ${JSON.stringify(literal)}`);
  }

  /** Characters up to (not including) the first of `stops`. */
  until(stops: string): string {
    const start = this.at;
    while (this.at < this.text.length && !stops.includes(this.text[this.at]!)) this.at++;
    return this.text.slice(start, this.at);
  }

  number(): number {
    const text = this.until(',)}');
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) this.fail(`not a number: ${text}`);
    return value;
  }

  /** A JSON string literal. */
  string(): string {
    const start = this.at;
    if (!this.eat('"')) this.fail('expected a string');
    while (this.at < this.text.length && this.text[this.at] !== '"') {
      this.at += this.text[this.at] === '\\' ? 2 : 1;
    }
    this.expect('"');
    return JSON.parse(this.text.slice(start, this.at)) as string;
  }

  numbers(count: number): number[] {
    this.expect('(');
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      if (i > 0) this.expect(',');
      values.push(this.number());
    }
    this.expect(')');
    return values;
  }

  /** `~rel` or nothing. */
  delta(): 'relative' | 'absolute' {
    return this.eat('~rel') ? 'relative' : 'absolute';
  }

  /** The fields of a struct, from its `{` to its `}`. */
  fields(): FieldMap {
    this.expect('{');
    const fields: Record<string, AnyFieldType> = {};
    if (this.eat('}')) return fields;
    do {
      const key = this.string();
      this.expect(':');
      fields[key] = this.field();
    } while (this.eat(','));
    this.expect('}');
    return fields;
  }

  field(): AnyFieldType {
    if (this.text[this.at] === '{') return t.struct(this.fields());
    const word = this.until('(,){}~ ');
    switch (word) {
      case 'bool':
        return t.bool();
      case 'u8':
      case 'i8':
      case 'u16':
      case 'i16':
      case 'u32':
      case 'i32':
        return t[word]({ delta: this.delta() });
      case 'varuint':
        return t.varuint();
      case 'varint':
        return t.varint();
      case 'float32':
        return t.float32();
      case 'float64':
        return t.float64();
      case 'entity':
        return t.entity();
      case 'int': {
        const [min, max] = this.numbers(2) as [number, number];
        return t.int({ min, max, delta: this.delta() });
      }
      case 'quantized':
      case 'vec2':
      case 'vec3': {
        const [min, max, bits] = this.numbers(3) as [number, number, number];
        return t[word]({ min, max, bits, delta: this.delta() });
      }
      case 'angle':
      case 'quat': {
        const [bits] = this.numbers(1) as [number];
        return t[word]({ bits, delta: this.delta() });
      }
      case 'string':
        return t.string({ maxBytes: this.numbers(1)[0]! });
      case 'bytes':
        return t.bytes({ maxLength: this.numbers(1)[0]! });
      case 'enum': {
        this.expect('(');
        const values: string[] = [];
        do values.push(this.string());
        while (this.eat(','));
        this.expect(')');
        return t.enum(values);
      }
      case 'array': {
        this.expect('(');
        const element = this.field();
        this.expect(',');
        const fixed = this.eat('=');
        if (!fixed) this.expect('<=');
        const count = this.number();
        this.expect(')');
        return t.array(element, fixed ? { length: count } : { maxLength: count });
      }
      case 'optional': {
        this.expect('(');
        const inner = this.field();
        this.expect(')');
        return t.optional(inner);
      }
      default: {
        const bits = /^uint(\d+)$/.exec(word);
        if (bits) return t.uint(Number(bits[1]), { delta: this.delta() });
        return this.fail(`unknown kind ${JSON.stringify(word)}`);
      }
    }
  }

  /** A labelled struct: `<label>{…}`, the label checked. */
  labelled(label: string): FieldMap {
    this.expect(label);
    return this.fields();
  }

  end(): void {
    if (this.at !== this.text.length) this.fail('text after the descriptor');
  }
}

/** The field kind a descriptor names (§7). Its own `descriptor` is the text again. */
export function fieldFromDescriptor(descriptor: string): AnyFieldType {
  const parser = new Parser(descriptor);
  const field = parser.field();
  parser.end();
  if (field.descriptor !== descriptor) throw new Error(`${descriptor} rebuilt as ${field.descriptor}`);
  return field;
}

/** An entity schema from `entity <Name>{…}` (§7); its fingerprint is FNV-1a 64 of the text. */
export function schemaFromDescriptor(descriptor: string): EntitySchema<FieldMap> {
  const name = /^entity ([A-Za-z_][A-Za-z0-9_]*)\{/.exec(descriptor)?.[1];
  if (!name) throw new Error(`${JSON.stringify(descriptor)} is not an entity descriptor`);
  const parser = new Parser(descriptor);
  const schema = defineEntity(name, parser.labelled(`entity ${name}`));
  parser.end();
  if (schema.descriptor !== descriptor) throw new Error(`${descriptor} rebuilt as ${schema.descriptor}`);
  return schema;
}

/**
 * An RPC catalog from its descriptor (§15): one line per entry,
 * `rpc <name> <direction> <delivery> <params> <reply or ->` or `event <name> <params>`.
 */
// biome-ignore lint/suspicious/noExplicitAny: a catalog of whatever the text declares
export function catalogFromDescriptor(descriptor: string): RpcCatalog<any> {
  const declarations: Record<string, AnyDeclaration> = {};
  for (const line of descriptor.split('\n')) {
    const parser = new Parser(line);
    const [kind, name] = line.split(' ') as [string, string];
    if (kind === 'event') {
      parser.expect(`event ${name} `);
      declarations[name] = event({
        params: parser.labelled(`event ${name} params`),
      }) as EventDeclaration<FieldMap>;
    } else if (kind === 'rpc') {
      parser.expect(`rpc ${name} `);
      const direction = parser.until(' ') as RpcDirection;
      parser.expect(' ');
      const delivery = parser.until(' ') as RpcDelivery;
      parser.expect(' ');
      const params = parser.labelled(`rpc ${name} params`);
      parser.expect(' ');
      const reply = parser.eat('-') ? undefined : parser.labelled(`rpc ${name} reply`);
      declarations[name] = rpc({ params, reply, direction, delivery }) as RpcDeclaration<
        FieldMap,
        FieldMap | undefined
      >;
    } else {
      throw new Error(`catalog line ${JSON.stringify(line)} is neither an rpc nor an event`);
    }
    parser.end();
  }
  const catalog = defineRpcs(declarations);
  if (catalog.descriptor !== descriptor) throw new Error(`catalog rebuilt as ${catalog.descriptor}`);
  return catalog;
}
