package roles

import "strings"

// maxPaths bounds the paths of one group. Nesting in several parents at
// several levels multiplies paths; past this many, further ones are
// dropped rather than letting a tangled directory cost unbounded time.
const maxPaths = 64

// namePath returns the path a folded displayName spells: its
// "/"-separated segments, trimmed, without empty ones. It is "" for a name
// with no segment.
func namePath(displayName string) string {
	clean := true
	for seg := range strings.SplitSeq(displayName, "/") {
		if seg == "" || strings.TrimSpace(seg) != seg {
			clean = false
			break
		}
	}
	if clean {
		return displayName
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(displayName, "/") {
		if seg = strings.TrimSpace(seg); seg == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// cutPathPrefix reports whether path starts with the whole segments of
// prefix and returns the rest, "" or starting with "/".
func cutPathPrefix(path, prefix string) (rest string, ok bool) {
	if prefix == "" || !strings.HasPrefix(path, prefix) {
		return "", false
	}
	rest = path[len(prefix):]
	return rest, rest == "" || rest[0] == '/'
}

// nest returns the path of a group named name (a name path) inside a
// parent with the given path and name path. A name that already spells
// the parent's path, or starts with the parent's own name, is not made to
// repeat it: "Engineering/Platform" inside "Engineering" is
// engineering/platform, and inside Engineering nested in Company it is
// company/engineering/platform.
func nest(parentPath, parentName, name string) string {
	if _, ok := cutPathPrefix(name, parentPath); ok {
		return name
	}
	if rest, ok := cutPathPrefix(name, parentName); ok {
		return parentPath + rest
	}
	return parentPath + "/" + name
}

// pathFinder computes the paths of groups from their names and nesting.
type pathFinder struct {
	groups []Group
	index  map[string]int // group id to its first position in groups
	nodes  []pathNode     // by position in groups
	budget int            // steps the walk may still take
}

type pathNode struct {
	name    string   // name path
	paths   []string // once known
	known   bool
	walking bool      // on the current chain of parents
	own     [1]string // backs paths when it is just the name
}

// groupPaths returns the paths of each group, folded to lower case, given
// the displayNames folded with strings.ToLower. A group in no parent given
// has its name path; one in parents has, for each path of each parent,
// the path nest makes. A path never passes through the same group twice,
// so that a cycle of nesting, which some directories allow, ends rather
// than loops: in a cycle each group is nested in the others, without
// coming back to itself. A group whose name has no segment has no path,
// and is no parent.
func groupPaths(groups []Group, names []string) [][]string {
	f := pathFinder{
		groups: groups,
		index:  make(map[string]int, len(groups)),
		nodes:  make([]pathNode, len(groups)),
		// Without cycles each group is computed once, at a cost of at
		// most maxPaths steps for each of its parents; with them the
		// walk may revisit groups on other chains, up to the same total.
		budget: 1024,
	}
	for i, g := range groups {
		if _, dup := f.index[g.ID]; !dup {
			f.index[g.ID] = i
		}
		f.nodes[i].name = namePath(names[i])
		f.budget += maxPaths * (1 + len(g.Parents))
	}
	out := make([][]string, len(groups))
	for i := range groups {
		out[i], _ = f.walk(i)
	}
	return out
}

// walk returns the paths of group i, and whether they depend on the
// groups being walked (a parent left out because it is one of them), in
// which case they are not remembered for other chains.
func (f *pathFinder) walk(i int) (paths []string, cut bool) {
	n := &f.nodes[i]
	if n.known {
		return n.paths, false
	}
	if n.name == "" {
		n.known = true
		return nil, false
	}
	n.walking = true
	defer func() { n.walking = false }()
	nested := false
	for _, id := range f.groups[i].Parents {
		if len(paths) == maxPaths {
			break
		}
		j, ok := f.index[id]
		if !ok || j == i {
			continue
		}
		if f.nodes[j].walking || f.budget <= 0 {
			cut = true
			continue
		}
		f.budget--
		parentPaths, c := f.walk(j)
		cut = cut || c
		for _, pp := range parentPaths {
			if len(paths) == maxPaths || f.budget <= 0 {
				cut = cut || f.budget <= 0
				break
			}
			f.budget--
			nested = true
			if paths == nil {
				paths = make([]string, 0, min(len(f.groups[i].Parents)*len(parentPaths), maxPaths))
			}
			paths = appendNew(paths, nest(pp, f.nodes[j].name, n.name))
		}
	}
	if !nested {
		n.own[0] = n.name
		paths = n.own[:]
	}
	if !cut {
		n.paths, n.known = paths, true
	}
	return paths, cut
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
