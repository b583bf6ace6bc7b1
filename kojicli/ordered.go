package kojicli

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// decodeOrdered decodes a methodResponse keeping struct members in wire
// order (as *ordered), which Go maps cannot do. Only --json-output needs it.
func decodeOrdered(body []byte) (any, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "value" {
			return orderedValue(d)
		}
	}
}

// orderedValue reads the inside of a <value> up to its end tag.
func orderedValue(d *xml.Decoder) (any, error) {
	var text strings.Builder
	var result any
	typed := false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if t.Name.Local == "value" {
				if !typed {
					return text.String(), nil
				}
				return result, nil
			}
		case xml.StartElement:
			typed = true
			switch t.Name.Local {
			case "struct":
				o := &ordered{}
				if err := orderedMembers(d, o); err != nil {
					return nil, err
				}
				result = o
			case "array":
				a, err := orderedArray(d)
				if err != nil {
					return nil, err
				}
				result = a
			case "nil":
				d.Skip()
				result = nil
			default:
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return nil, err
				}
				result, err = scalar(t.Name.Local, s)
				if err != nil {
					return nil, err
				}
			}
		}
	}
}

func scalar(typ, s string) (any, error) {
	switch typ {
	case "int", "i4", "i8":
		return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	case "boolean":
		return strings.TrimSpace(s) == "1", nil
	case "double":
		return strconv.ParseFloat(strings.TrimSpace(s), 64)
	case "base64":
		return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	case "string", "dateTime.iso8601":
		return s, nil
	}
	return nil, fmt.Errorf("unknown type %s", typ)
}

func orderedMembers(d *xml.Decoder, o *ordered) error {
	var name string
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "name":
				if err := d.DecodeElement(&name, &t); err != nil {
					return err
				}
			case "value":
				v, err := orderedValue(d)
				if err != nil {
					return err
				}
				o.keys = append(o.keys, name)
				o.vals = append(o.vals, v)
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				return nil
			}
		}
	}
}

func orderedArray(d *xml.Decoder) ([]any, error) {
	out := []any{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "value" {
				v, err := orderedValue(d)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
		case xml.EndElement:
			if t.Name.Local == "array" {
				return out, nil
			}
		}
	}
}
