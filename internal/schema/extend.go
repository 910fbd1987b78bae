package schema

// Extend returns rt with exts appended to its extensions: the resource
// type of a workspace that declared them. rt itself is left as it is.
func (rt *ResourceType) Extend(exts ...Extension) *ResourceType {
	if len(exts) == 0 {
		return rt
	}
	out := *rt
	out.Extensions = append(append([]Extension(nil), rt.Extensions...), exts...)
	return &out
}

// Declared returns v, a value stored for attribute a of a declared
// extension, with what its declaration no longer admits left out:
// sub-attributes not declared, never returned, or not of their declared
// type, and values not of a's type or multiValued. It returns nil when
// nothing is left. Values stored under an earlier declaration stay
// stored; this decides what of them is shown.
func Declared(a *Attribute, v any) any {
	if a.Type == Any {
		return v // kept as sent, without a declaration
	}
	if a.MultiValued {
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			if e := declaredSingle(a, e); e != nil {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	if _, isList := v.([]any); isList {
		return nil
	}
	return declaredSingle(a, v)
}

func declaredSingle(a *Attribute, v any) any {
	if a.Type != Complex {
		if _, err := coerce(a, v); err != nil {
			return nil
		}
		return v
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, sv := range m {
		sub := a.Sub(k)
		if sub == nil || sub.Returned == Never {
			continue
		}
		if _, err := coerce(sub, sv); err == nil {
			out[k] = sv
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
