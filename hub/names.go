package hub

import (
	"regexp"
	"unicode/utf8"
)

// Koji's default name rules (RegexUserName, RegexNameInternal,
// MaxNameLengthInternal). Failures are GenericError, as Koji raises them.
var (
	userNameRE     = regexp.MustCompile(`\A[A-Za-z0-9/_.@-]+\z`)
	internalNameRE = regexp.MustCompile(`\A[A-Za-z0-9/_.+-]+\z`)
)

// MaxNameLength is the longest name Koji accepts.
const MaxNameLength = 256

// VerifyUserName checks a user or host name, or (with what = "Kerberos
// principal") a principal.
func VerifyUserName(name, what string) error {
	return verifyName(name, what, userNameRE, "RegexUserName")
}

// VerifyInternalName checks names of groups, permissions, tags, targets and
// other hub objects.
func VerifyInternalName(name string) error {
	return verifyName(name, "Name", internalNameRE, "RegexNameInternal")
}

func verifyName(name, what string, re *regexp.Regexp, option string) error {
	if utf8.RuneCountInString(name) > MaxNameLength {
		return GenericError("%s %s is too long. Max length is %d characters", what, name, MaxNameLength)
	}
	if !re.MatchString(name) {
		return GenericError("%s %s does not match %s value", what, name, option)
	}
	return nil
}
