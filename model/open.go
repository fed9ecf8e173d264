package model

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"qinqing/configs"
)

// OpenStore connects to the configured database, migrates it, writes the
// reference data into it and returns the store over it: how the service,
// its benchmark and its tests all get one. Close releases the connections.
func OpenStore(ctx context.Context, cfg configs.Config, ref *Reference, clock func() time.Time) (*Store, error) {
	return OpenStoreLogged(ctx, cfg, ref, clock, nil)
}

// OpenStoreLogged is OpenStore whose connections report database nodes
// failing over to log (MySQL, MariaDB, Galera).
func OpenStoreLogged(ctx context.Context, cfg configs.Config, ref *Reference, clock func() time.Time, log *slog.Logger) (*Store, error) {
	db, err := Open(cfg.DB.Driver, cfg.DB.DSN, ConnOptions{MaxOpenConns: cfg.DB.MaxOpenConns, Logger: log,
		BackgroundCheckpoint: true})
	if err != nil {
		return nil, err
	}
	s := NewStore(db, ref, StoreOptions(cfg), clock)
	if !IsMySQL(db) {
		w, err := Open(cfg.DB.Driver, cfg.DB.DSN, ConnOptions{MaxOpenConns: 1, BackgroundCheckpoint: true})
		if err != nil {
			s.Close()
			return nil, err
		}
		s.wdb = w
		s.ckpt = startCheckpointer(db)
		s.writer = startWriter(w, s.ckpt.written)
	}
	if err := Migrate(db); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := s.LoadReference(ctx); err != nil {
		s.Close()
		return nil, err
	}
	u, err := cfg.Files.StoreURL(cfg.DataDir)
	if err == nil {
		s.blobs, err = OpenBlobs(ctx, u)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store's database connections.
func (s *Store) Close() error {
	if s.blobs != nil {
		_ = s.blobs.Close()
	}
	s.writer.close()
	s.ckpt.close()
	if s.wdb != nil {
		if w, err := s.wdb.DB(); err == nil {
			_ = w.Close()
		}
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
