// The semantic token legend the server declares once for all its languages; each language uses the types it needs.
export const SEMANTIC_TOKEN_TYPES = ['keyword', 'macro', 'function', 'variable', 'number', 'operator', 'enumMember', 'property', 'modifier', 'class', 'string'] as const;
export const SEMANTIC_TOKEN_MODIFIERS = ['declaration', 'readonly'] as const;

export type SemanticTokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];
export const semanticTypeIndex = (t: SemanticTokenType): number => SEMANTIC_TOKEN_TYPES.indexOf(t);
export const DECLARATION = 1;
export const READONLY = 2;
