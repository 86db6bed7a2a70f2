package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"hindsight/internal/incident"
)

type tokenInput struct {
	Name string        `json:"name"`
	Role incident.Role `json:"role"`
}

// createdToken is the only answer that ever holds a token's secret.
type createdToken struct {
	incident.Token
	Secret string `json:"token"`
}

func (s *Server) createToken(c *gin.Context) error {
	var in tokenInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	secret, tok, err := s.store.CreateToken(c.Request.Context(), in.Name, in.Role)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, createdToken{Token: *tok, Secret: secret})
	return nil
}

func (s *Server) listTokens(c *gin.Context) error {
	toks, err := s.store.ListTokens(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": toks})
	return nil
}

func (s *Server) revokeToken(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.RevokeToken(c.Request.Context(), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

type userInput struct {
	Email    string        `json:"email"`
	Role     incident.Role `json:"role"`
	Password string        `json:"password"`
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// HashPassword checks a new password's length and returns its bcrypt hash.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLen {
		return "", incident.FieldError(incident.EINVALID, "password", "password must be at least %d characters long", MinPasswordLen)
	}
	if len(pw) > 72 {
		return "", incident.FieldError(incident.EINVALID, "password", "password must be at most 72 bytes long") // bcrypt's limit
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

func (s *Server) createUser(c *gin.Context) error {
	var in userInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	u, err := s.store.CreateUser(c.Request.Context(), in.Email, in.Role, hash)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, u)
	return nil
}

func (s *Server) deleteUser(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.DeleteUser(c.Request.Context(), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
