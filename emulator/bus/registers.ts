// Declarative register maps: offset, name, access, reset value and fields with their meaning. Device models decode
// MMIO with them; the debugger's register views, hovers and documentation read the same tables.

export type Access = 'ro' | 'rw' | 'wo' | 'w1c';

export interface FieldDef {
  readonly name: string;
  readonly shift: number;
  readonly bits: number;
  readonly description: string;
  /** Names of enumerated values (e.g. channel states). */
  readonly values?: Readonly<Record<number, string>>;
}

export interface RegisterDef {
  /** Name as the TRM spells it; for arrays, with `{n}` where the index goes (e.g. `CSR{n}`). */
  readonly name: string;
  readonly offset: number;
  readonly access: Access;
  readonly reset: number;
  readonly description: string;
  readonly fields?: readonly FieldDef[];
  /** Register arrays: `count` instances `stride` bytes apart. */
  readonly count?: number;
  readonly stride?: number;
}

/** One concrete register: an array element has its index and expanded name. */
export interface RegisterInstance {
  readonly def: RegisterDef;
  readonly name: string;
  readonly offset: number;
  readonly index: number;
}

export class RegisterMap {
  readonly instances: readonly RegisterInstance[];
  private readonly byOffset = new Map<number, RegisterInstance>();
  private readonly byName = new Map<string, RegisterInstance>();

  constructor(readonly defs: readonly RegisterDef[], readonly size: number) {
    const instances: RegisterInstance[] = [];
    for (const def of defs) {
      const count = def.count ?? 1;
      for (let index = 0; index < count; index++) {
        const offset = def.offset + index * (def.stride ?? 4);
        const name = def.count === undefined ? def.name : def.name.replace('{n}', String(index));
        const inst = { def, name, offset, index };
        if (this.byOffset.has(offset)) throw new Error(`register map: ${name} overlaps ${this.byOffset.get(offset)!.name} at 0x${offset.toString(16)}`);
        // A second register of the same name would hide the first from every lookup by name.
        if (this.byName.has(name)) throw new Error(`register map: two registers named ${name} (0x${this.byName.get(name)!.offset.toString(16)} and 0x${offset.toString(16)})`);
        this.byOffset.set(offset, inst);
        this.byName.set(name, inst);
        instances.push(inst);
      }
    }
    this.instances = instances.sort((a, b) => a.offset - b.offset);
  }

  at(offset: number): RegisterInstance | undefined {
    return this.byOffset.get(offset);
  }

  named(name: string): RegisterInstance | undefined {
    return this.byName.get(name);
  }
}

/**
 * Named fields of one register, looked up once (at load time) so that models read and compose values by field name
 * at no cost per access; a name the table lacks is an error at load.
 */
export function fieldsOf<K extends string>(map: RegisterMap, register: string, names: readonly K[]): Readonly<Record<K, FieldDef>> {
  const fields = map.named(register)?.def.fields ?? [];
  const out = {} as Record<K, FieldDef>;
  for (const name of names) {
    const field = fields.find((f) => f.name === name);
    if (!field) throw new Error(`register map: ${register} has no field ${name}`);
    out[name] = field;
  }
  return out;
}

/** A value placed in its field (the other bits zero); OR several together, then `>>> 0`. */
export function place(field: FieldDef, value: number): number {
  return field.bits >= 32 ? value >>> 0 : ((value & ((1 << field.bits) - 1)) << field.shift) >>> 0;
}

export function fieldValue(value: number, field: FieldDef): number {
  return field.bits >= 32 ? value >>> 0 : (value >>> field.shift) & ((1 << field.bits) - 1);
}

/** `NAME=0x... (FIELD=v meaning, ...)` — the one-line decode the debugger and the CLI print. */
export function describeRegister(def: RegisterDef, value: number): string {
  const fields = (def.fields ?? []).map((f) => {
    const v = fieldValue(value, f);
    const meaning = f.values?.[v];
    return `${f.name}=${f.bits > 4 ? `0x${v.toString(16)}` : v}${meaning ? ` (${meaning})` : ''}`;
  });
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}${fields.length ? ` [${fields.join(' ')}]` : ''}`;
}
