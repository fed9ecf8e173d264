package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"qinqing/configs"
	"qinqing/model"
)

// runAdmin is `qinqing admin reset-password USER`, for the operator who
// missed the first password or whose administrator forgot theirs: the
// account gets a new one-time password, printed once, that must be
// changed at the next sign-in, and every session and token it holds ends.
// The database must already be migrated by the service.
func runAdmin(ctx context.Context, cfg configs.Config, args []string, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "reset-password" || args[1] == "" {
		return errors.New("usage: qinqing [-config FILE] admin reset-password USER")
	}
	db, err := model.Open(cfg.DB.Driver, cfg.DB.DSN, model.ConnOptions{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	store := model.NewStore(db, nil, model.StoreOptions(cfg), time.Now)
	defer store.Close()
	pw, err := model.OneTimePassword()
	if err != nil {
		return err
	}
	a, err := store.ResetPasswordOf(ctx, model.DefaultHasher(), args[1], pw)
	if errors.Is(err, model.ErrNotFound) {
		return fmt.Errorf("no account named %q", args[1])
	}
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	fmt.Fprintf(stdout, "已重置账号 %s 的密码，并结束了它的全部会话。\n一次性密码（只显示这一次，首次登录后须修改）：%s\n", a.Username, pw)
	if a.Disabled {
		fmt.Fprintln(stdout, "注意：该账号已停用，须由管理员启用后才能登录。")
	}
	return nil
}
